import { waitFor } from "@schematizer/errors";
import { quoteIdent } from "@schematizer/postgres";
import { test } from "@schematizer/testing";
import { describe, expect, vi } from "vitest";
import { archivedEvents } from "./event-fates.ts";
import { startPipeline } from "./pipeline-kit.ts";

interface Report {
  dryRun: boolean;
  files: number;
  filesRead: number;
  replayed: number;
  outsideWindow: number;
  notMatching: number;
  unreadable: { lines: number };
  missingFiles: string[];
  eventsPerSecond: number;
}

const TABLES = { login: "_e_user__login", logout: "_e_user__logout" } as const;
type Evname = keyof typeof TABLES;
const event = (id: string, evname: Evname, i: number) => ({ id, ts: "2024-05-01T12:00:00Z", entype: "user", evname, enid: `u${i % 17}`, body: { n: i, device: i % 2 ? "ios" : "web" } });

describe("replay: rows lost from the warehouse come back from the raw archive, once", () => {
  test("every accepted event is archived once; a replay of a window brings the deleted rows back and doubles none, however often it runs", async ({ kafka, db, bucket, endpoints }) => {
    // franz's CLI reads the batcher's ledger and bucket where this test's batcher keeps them.
    vi.stubEnv("BATCHER_SCHEMA", db.schema);
    vi.stubEnv("S3_ENDPOINT", endpoints.s3.endpoint);
    vi.stubEnv("S3_REGION", endpoints.s3.region);
    vi.stubEnv("S3_ACCESS_KEY_ID", endpoints.s3.accessKeyId);
    vi.stubEnv("S3_SECRET_ACCESS_KEY", endpoints.s3.secretAccessKey);
    vi.stubEnv("S3_BUCKET", bucket.bucket);
    const pipeline = await startPipeline({ kafka, db, bucket, endpoints });
    const franz = <T>(...args: string[]) => JSON.parse(pipeline.franz([...args, "--json"])) as T;
    const rawTopic = `${kafka.prefix}raw.acme`;
    const rawEnd = async () => (await kafka.admin.topicOffsets(rawTopic)).reduce((sum, p) => sum + Number(p.high), 0);
    const table = (evname: Evname) => `${quoteIdent(pipeline.schemaOf("acme"))}.${TABLES[evname]}`;
    try {
      const key = pipeline.createApp("acme");
      // Two waves of events of two tables, each request answered before the next is sent.
      const sent: Record<Evname, string[]> = { login: [], logout: [] };
      for (const wave of ["a", "b"]) {
        for (let r = 0; r < 3; r++) {
          const events = Array.from({ length: 50 }, (_, j) => {
            const i = r * 50 + j;
            const evname: Evname = i % 3 === 2 ? "logout" : "login";
            return event(`${wave}-${evname}-${i}`, evname, i);
          });
          expect((await pipeline.send("acme", key, events)).status).toBe(202);
          for (const e of events) sent[e.evname].push(e.id);
        }
      }
      const total = sent.login.length + sent.logout.length;
      expect([sent.login.length, sent.logout.length]).toEqual([200, 100]);
      await pipeline.rows("acme", TABLES.login, sent.login.length);
      await pipeline.rows("acme", TABLES.logout, sent.logout.length);

      // Every accepted event is in the archive, in exactly one archived file.
      const archive = await archivedEvents(db.pool, bucket.store, "acme", total);
      expect(archive.map((e) => e.id).sort()).toEqual([...sent.login, ...sent.logout].sort());
      const described = franz<{ recovery: { ledger: { archive: { files: number; events: number; newestReceivedAt: string } } } }>("apps", "describe", "acme");
      const newest = Math.max(...archive.map((e) => e.receivedAtMs));
      expect(described.recovery.ledger.archive).toMatchObject({ events: total, newestReceivedAt: new Date(newest).toISOString() });
      expect(pipeline.franz(["apps", "describe", "acme"])).toContain(`raw archive: ${described.recovery.ledger.archive.files} files, ${total} events`);

      // Rows lost: the second wave's logins.
      const lost = sent.login.filter((id) => id.startsWith("b-"));
      const before = await rowsOf("login", lost);
      expect(before).toHaveLength(lost.length);
      const deleted = await pipeline.warehouse.query(`DELETE FROM ${table("login")} WHERE _sz_id = ANY($1::text[])`, [lost]);
      expect(deleted.rowCount).toBe(lost.length);
      // Their time range, and what the archive holds in it.
      const lostTimes = archive.filter((e) => lost.includes(e.id)).map((e) => e.receivedAtMs);
      const window = { fromMs: Math.min(...lostTimes), toMs: Math.max(...lostTimes) + 1 };
      const inWindow = archive.filter((e) => e.receivedAtMs >= window.fromMs && e.receivedAtMs < window.toMs);
      const inWindowOf = (evname: Evname) => inWindow.filter((e) => sent[evname].includes(e.id)).length;
      const range = ["--from", new Date(window.fromMs).toISOString(), "--to", new Date(window.toMs).toISOString()];

      // A dry run counts, and sends nothing.
      const end0 = await rawEnd();
      expect(franz<Report>("replay", "acme", ...range, "--dry-run")).toMatchObject({
        dryRun: true,
        replayed: inWindow.length,
        filesRead: expect.any(Number),
        unreadable: { lines: 0 },
        missingFiles: [],
      });
      expect(await rawEnd()).toBe(end0);

      // --evname picks one table: the logouts of the window are sent again, and no login.
      const logouts = franz<Report>("replay", "acme", ...range, "--entype", "user", "--evname", "logout", "--rate", "200");
      expect(logouts).toMatchObject({ dryRun: false, replayed: inWindowOf("logout"), notMatching: inWindowOf("login") });
      expect(await rawEnd()).toBe(end0 + inWindowOf("logout"));
      const loaded = { login: sent.login.length, logout: sent.logout.length + inWindowOf("logout") };
      await rowsLoaded(loaded);
      expect(await counts("login")).toEqual({ rows: sent.login.length - lost.length, ids: sent.login.length - lost.length });
      expect(await counts("logout")).toEqual({ rows: sent.logout.length, ids: sent.logout.length });

      // The whole window: every lost row is back, as it was, and no row is doubled.
      const replayed = franz<Report>("replay", "acme", ...range);
      expect(replayed).toMatchObject({ replayed: inWindow.length, outsideWindow: expect.any(Number), unreadable: { lines: 0 }, missingFiles: [] });
      expect(replayed.filesRead).toBe(replayed.files);
      expect(await rawEnd()).toBe(end0 + inWindowOf("logout") + inWindow.length);
      await pipeline.rows("acme", TABLES.login, sent.login.length);
      loaded.login += inWindowOf("login");
      loaded.logout += inWindowOf("logout");
      await rowsLoaded(loaded);
      expect(await rowsOf("login", lost)).toEqual(before);
      expect(await counts("login")).toEqual({ rows: sent.login.length, ids: sent.login.length });
      expect(await counts("logout")).toEqual({ rows: sent.logout.length, ids: sent.logout.length });

      // Once more: the same events go through the pipeline again and change nothing.
      expect(franz<Report>("replay", "acme", ...range)).toMatchObject({ replayed: inWindow.length });
      loaded.login += inWindowOf("login");
      loaded.logout += inWindowOf("logout");
      await rowsLoaded(loaded);
      expect(await counts("login")).toEqual({ rows: sent.login.length, ids: sent.login.length });
      expect(await counts("logout")).toEqual({ rows: sent.logout.length, ids: sent.logout.length });
      expect((await pipeline.warehouse.query(`SELECT _sz_id FROM ${table("login")} ORDER BY _sz_id`)).rows.map((r) => r._sz_id)).toEqual([...sent.login].sort());

      // What was sent again is not archived again.
      await waitFor("the archive read raw.acme to its end", async () => ((await archiveBehind()) ? undefined : true), { timeoutMs: 60_000, intervalMs: 200 });
      expect(await archivedCount()).toBe(total);

      // A file gone from the bucket is named, the others read, and the command fails at the end.
      const { rows: files } = await db.pool.query<{ object_key: string; events: number }>(
        `SELECT object_key, events FROM archive_files WHERE app = 'acme' AND state = 'archived' ORDER BY object_key LIMIT 1`,
      );
      await bucket.store.delete([files[0]!.object_key]);
      expect(() => pipeline.franz(["replay", "acme", "--from", "1h", "--to", "0s", "--dry-run"])).toThrow(`missing from the bucket: ${files[0]!.object_key}`);
    } finally {
      await pipeline.stop();
      vi.unstubAllEnvs();
    }

    /** Events in archived files, by the ledger. */
    async function archivedCount(): Promise<number> {
      const { rows } = await db.pool.query<{ n: string }>(`SELECT coalesce(sum(events), 0) AS n FROM archive_files WHERE app = 'acme' AND state = 'archived'`);
      return Number(rows[0]!.n);
    }

    /** Whether the archive's ledger end is behind raw.acme's end on some partition. */
    async function archiveBehind(): Promise<boolean> {
      const { rows } = await db.pool.query<{ partition: number; end_offset: string }>(`SELECT partition, end_offset FROM partition_ledger WHERE topic = $1`, [rawTopic]);
      const ends = new Map(rows.map((r) => [r.partition, BigInt(r.end_offset)]));
      return (await kafka.admin.topicOffsets(rawTopic)).some((p) => BigInt(p.high) > 0n && (ends.get(p.partition) ?? -1n) < BigInt(p.high) - 1n);
    }

    async function rowsOf(evname: Evname, ids: string[]): Promise<unknown[]> {
      return (await pipeline.warehouse.query(`SELECT * FROM ${table(evname)} WHERE _sz_id = ANY($1::text[]) ORDER BY _sz_id`, [ids])).rows;
    }

    async function counts(evname: Evname): Promise<{ rows: number; ids: number }> {
      const { rows } = await pipeline.warehouse.query<{ rows: number; ids: number }>(`SELECT count(*)::int AS rows, count(DISTINCT _sz_id)::int AS ids FROM ${table(evname)}`);
      return rows[0]!;
    }

    /** Waits until the loader has loaded at least these many rows of each table, counting rows sent again. */
    async function rowsLoaded(wanted: Record<Evname, number>): Promise<void> {
      await waitFor(`rows loaded: ${JSON.stringify(wanted)}`, async () => {
        const { rows } = await db.pool.query<{ table_name: string; rows: string }>(
          `SELECT table_name, coalesce(sum(rows), 0) AS rows FROM batch_ledger WHERE app = 'acme' AND state = 'loaded' GROUP BY table_name`,
        );
        const got = new Map(rows.map((r) => [r.table_name, Number(r.rows)]));
        return (Object.keys(wanted) as Evname[]).every((evname) => (got.get(TABLES[evname]) ?? 0) >= wanted[evname]) ? true : undefined;
      }, { timeoutMs: 60_000, intervalMs: 200 });
    }
  }, 300_000);
});
