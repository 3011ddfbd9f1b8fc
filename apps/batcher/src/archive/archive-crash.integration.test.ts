import { gunzipSync } from "node:zlib";
import { HEADERS, readArchiveLine, type ArchivedEvent } from "@schematizer/contracts";
import type { ProducedMessage } from "@schematizer/kafka";
import { startService, test } from "@schematizer/testing";
import { describe, expect } from "vitest";
import { batcherHarness, exitOf } from "../batcher-test-kit.ts";
import type { CrashPoint } from "../crash-points.ts";

const POINTS: CrashPoint[] = ["archive-before-upload", "archive-after-upload", "archive-after-ledger", "archive-before-commit"];
const HOUR = Date.parse("2026-12-01T21:00:00Z");

/** Raw records as event-sink writes them, received across an hour's end, with what the world sends. */
function rawRecords(from: number, count: number): ProducedMessage[] {
  return Array.from({ length: count }, (_, k) => {
    const i = from + k;
    const value =
      i % 97 === 0
        ? Buffer.from([0x7b, 0xff, 0x00, 0x7d]) // not UTF-8: kept as base64
        : i % 89 === 0
          ? `{\n  "entype": "user",\n  "evname": "login",\n  "body": {"note": "a\\u0000b", "n": ${i}}\n}` // pretty, with NUL
          : `{"ts":"2026-12-01T21:00:00Z","entype":"user","evname":"login","body":{"n":${i}}}`;
    const headers: Record<string, string> = { [HEADERS.id]: `e${i}`, [HEADERS.receivedAt]: String(HOUR - 60_000 + i * 50) };
    // An operator's redrive: already archived when first accepted, so never again.
    if (i % 50 === 7) headers[HEADERS.resent] = "redrive";
    return { key: `u${i % 13}`, value, headers };
  });
}

/**
 * kill -9 of a real batcher process at each point of the archive's work, twice in a row, then a
 * clean one: every raw record is in exactly one archived file, no file is left that the ledger
 * does not name, and each line holds the record's exact bytes.
 */
describe("the raw archive under kill -9", () => {
  for (const point of POINTS) {
    test(`crash ${point}, twice, then a clean batcher`, { timeout: 240_000 }, async ({ kafka, db, bucket, endpoints }) => {
      const h = await batcherHarness({ kafka, db, bucket, endpoints }, "acme", { partitions: 1 });
      const raw = await kafka.createTopic("raw.acme", 2);
      const producer = await kafka.client.producer();
      const sent = [...rawRecords(0, 1500), ...rawRecords(1500, 1500)];
      const send = async (records: ProducedMessage[]) => {
        for (let i = 0; i < records.length; i += 50) await producer.send([{ topic: raw, messages: records.slice(i, i + 50) }]);
      };
      try {
        await send(sent.slice(0, 1500));
        // Small fetches and no waiting for bytes: many ranges, so each process passes its point often.
        // Each process fetches a different size, so it cuts the range it takes up differently from
        // the one that crashed on it, whose files are then left to the sweep.
        const env = (fetchBytes: number) => ({ ...h.env, BATCHER_ARCHIVE_WAIT_MS: "100", BATCHER_ARCHIVE_MIN_BYTES: "1", BATCHER_ARCHIVE_FETCH_MAX_BYTES: String(fetchBytes) });
        for (const after of [2, 3]) {
          const victim = startService("batcher", { ...env(4096 * after), BATCHER_CRASH_POINT: point, BATCHER_CRASH_AFTER: String(after), LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "info" });
          if (after === 3) await send(sent.slice(1500));
          expect(await exitOf(victim), victim.output().slice(-2000)).toBeNull();
        }
        const survivor = startService("batcher", env(20_000));
        try {
          await survivor.waitForLog("batcher started");
          const highs = await kafka.admin.topicOffsets(raw);
          const deadline = Date.now() + 120_000;
          for (;;) {
            const ends = (await h.ledger.ranges.ends([raw])).get(raw) ?? new Map<number, bigint>();
            if (highs.every((o) => ends.get(o.partition) === BigInt(o.high) - 1n)) break;
            if (Date.now() > deadline) throw new Error(`the archive did not cover ${raw}:\n${survivor.output().slice(-3000)}`);
            await new Promise((r) => setTimeout(r, 200));
          }
        } finally {
          // Its stop sweeps what the crashes left.
          expect(await survivor.stop()).toBe(0);
        }

        const ledgered = await db.pool.query<{ object_key: string; state: string; events: number }>(`SELECT object_key, state, events FROM archive_files ORDER BY object_key`);
        expect(ledgered.rows.filter((r) => r.state !== "archived")).toEqual([]);
        const objects = await bucket.store.list("raw/acme/");
        expect(objects.map((o) => o.key).sort()).toEqual(ledgered.rows.map((r) => r.object_key).sort());

        const archived: ArchivedEvent[] = [];
        for (const { key } of objects) {
          const lines = gunzipSync((await bucket.store.get(key)) as Buffer).toString("utf8").split("\n");
          expect(lines.pop()).toBe("");
          for (const line of lines) {
            const read = readArchiveLine(line);
            if (!read.ok) throw new Error(`${key}: ${read.reason}`);
            expect(key).toContain(new Date(read.event.receivedAtMs).toISOString().slice(0, 13).replace(/[-T]/g, "/"));
            archived.push(read.event);
          }
        }
        const places = archived.map((e) => `${e.partition}/${e.offset}`);
        expect(new Set(places).size).toBe(places.length);
        const expected = sent.filter((m) => m.headers?.[HEADERS.resent] === undefined);
        expect(archived.length).toBe(expected.length);
        const byId = new Map(archived.map((e) => [e.id, e]));
        for (const m of expected) {
          const e = byId.get(String(m.headers?.[HEADERS.id]));
          expect(e?.value.equals(Buffer.isBuffer(m.value) ? m.value : Buffer.from(String(m.value)))).toBe(true);
          expect(e?.key?.toString()).toBe(m.key);
        }
        expect(ledgered.rows.reduce((n, r) => n + r.events, 0)).toBe(expected.length);
      } finally {
        await producer.close();
        await h.close();
      }
    });
  }
});
