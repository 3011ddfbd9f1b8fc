import { privateKafka, test } from "@schematizer/testing";
import { quoteIdent } from "@schematizer/postgres";
import { waitFor } from "@schematizer/errors";
import { createKafkaClient } from "@schematizer/kafka";
import { describe, expect } from "vitest";
import { archivedEvents } from "./event-fates.ts";
import { startPipeline, type Pipeline } from "./pipeline-kit.ts";

const TOTAL = Number(process.env.E2E_FAULT_EVENTS ?? 100_000);
const PER_REQUEST = 500;
const KINDS = ["pass_mission", "login", "purchase", "view"];
/** The stream is paced over this long, so every fault lands while events flow. */
const STREAM_MS = Number(process.env.E2E_FAULT_STREAM_MS ?? 40_000);

describe("fault tolerance", () => {
  test(`${TOTAL} events with client retries; every service killed -9 at random moments and the broker restarted: one row per 202'd id, each raw record archived once`, async ({ kafka, db, bucket, endpoints }) => {
    const broker = await privateKafka();
    await broker.start();
    let pipeline: Pipeline | undefined;
    try {
      pipeline = await startPipeline({ kafka, db, bucket, endpoints }, { brokers: broker.brokers, sqlizers: 2 });
      const key = pipeline.createApp("acme");
      const accepted = new Set<string>();
      const answers = new Map<string, number>();
      let retries = 0;

      // The client: each request is retried with the same ids until it gets a 202.
      const request = async (r: number) => {
        const events = Array.from({ length: PER_REQUEST }, (_, i) => {
          const n = r * PER_REQUEST + i;
          return { id: `e${n}`, ts: 1_420_072_292_000 + n, entype: "user", evname: KINDS[n % KINDS.length], enid: `u${n % 101}`, body: { n, s: `v${n % 13}` } };
        });
        for (let attempt = 0; ; attempt++) {
          const answer = await pipeline!.send("acme", key, events).catch(() => ({ status: 0, body: {} }));
          answers.set(String(answer.status), (answers.get(String(answer.status)) ?? 0) + 1);
          if (answer.status === 202) {
            for (const id of (answer.body as { ids: string[] }).ids) accepted.add(id);
            return;
          }
          retries++;
          if (attempt > 200) throw new Error(`request ${r} never accepted`);
          await new Promise((resolve) => setTimeout(resolve, Math.min(2000, 50 * 2 ** Math.min(attempt, 5))));
        }
      };
      let next = 0;
      const requests = TOTAL / PER_REQUEST;
      const streamStart = Date.now();
      const client = Promise.all(Array.from({ length: 4 }, async () => {
        while (next < requests) {
          const r = next++;
          const due = streamStart + (r * STREAM_MS) / requests;
          if (due > Date.now()) await new Promise((resolve) => setTimeout(resolve, due - Date.now()));
          await request(r);
        }
      }));

      // Faults at seeded random moments while the stream flows.
      let seed = 42;
      const random = () => (seed = (seed * 16_807) % 2_147_483_647) / 2_147_483_647;
      // Faults by the clock: a fraction of the paced stream's length, with seeded jitter.
      const until = async (fraction: number) => {
        const due = streamStart + fraction * STREAM_MS;
        if (due > Date.now()) await new Promise((resolve) => setTimeout(resolve, due - Date.now()));
      };
      const faults: string[] = [];
      const kill = async (name: "sink" | "batcher" | "sqlizer-1" | "sqlizer-2") => {
        expect(accepted.size, `${name} is killed while events still stream in`).toBeLessThan(TOTAL);
        const process = name === "sink" ? pipeline!.services.sink : name === "batcher" ? pipeline!.services.batcher : pipeline!.services.sqlizers[Number(name.slice(-1)) - 1]!;
        await process.kill();
        faults.push(`kill -9 ${name} at ${accepted.size}`);
        await new Promise((resolve) => setTimeout(resolve, 200 + random() * 800));
        await pipeline!.restart(name);
      };
      await until(0.1 + random() * 0.1);
      await kill("sqlizer-1");
      await until(0.3 + random() * 0.1);
      await kill("batcher");
      await until(0.45 + random() * 0.1);
      expect(accepted.size).toBeLessThan(TOTAL);
      await broker.stop();
      faults.push(`broker stopped at ${accepted.size}`);
      await new Promise((resolve) => setTimeout(resolve, 3000));
      await broker.start();
      faults.push("broker restarted");
      await until(0.65 + random() * 0.1);
      await kill("sink");
      await until(0.8 + random() * 0.1);
      await kill("sqlizer-2");
      await client;

      // Every accepted id reaches the warehouse exactly once.
      const union = KINDS.map((k) => `SELECT _sz_id FROM ${quoteIdent(pipeline!.schemaOf("acme"))}.${quoteIdent(`_e_user__${k}`)}`).join(" UNION ALL ");
      const counts = async () => (await pipeline!.warehouse.query<{ rows: string; ids: string }>(`SELECT count(*) AS rows, count(DISTINCT _sz_id) AS ids FROM (${union}) t`).catch(() => ({ rows: [{ rows: "0", ids: "0" }] }))).rows[0]!;
      await waitFor("every accepted event in the warehouse", async () => (Number((await counts()).ids) >= accepted.size ? true : undefined), { timeoutMs: 240_000, intervalMs: 500 });
      const final = await counts();
      const { rows } = await pipeline.warehouse.query<{ _sz_id: string }>(union);
      const stored = new Set(rows.map((r) => r._sz_id));
      expect([...accepted].filter((id) => !stored.has(id))).toEqual([]);
      expect(Number(final.rows)).toBe(accepted.size);
      expect(Number(final.ids)).toBe(accepted.size);

      // Every record of raw.acme (a retried request's events may be there twice) is in the archive
      // once, the batcher's archive having been killed with it.
      const admin = await createKafkaClient("kafkajs", { brokers: broker.brokers, clientId: "faults-check" }).admin();
      const records = (await admin.topicOffsets(`${kafka.prefix}raw.acme`)).reduce((n, p) => n + Number(p.high) - Number(p.low), 0);
      await admin.close();
      const archive = await archivedEvents(db.pool, bucket.store, "acme", records);
      expect(archive).toHaveLength(records);
      expect(new Set(archive.map((e) => `${e.partition}/${e.offset}`)).size).toBe(records);
      const archived = new Set(archive.map((e) => e.id));
      expect([...accepted].filter((id) => !archived.has(id))).toEqual([]);
      console.log(
        `faults: ${faults.join("; ")}. answers: ${JSON.stringify(Object.fromEntries(answers))}, ${retries} client retries; ` +
          `${accepted.size} ids accepted, warehouse holds ${final.rows} rows, ${final.ids} distinct ids; archive holds ${records} records`,
      );
    } finally {
      await pipeline?.stop();
      await broker.dispose();
    }
  }, 600_000);
});
