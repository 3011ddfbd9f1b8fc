import { waitFor } from "@schematizer/errors";
import { readTopic, test } from "@schematizer/testing";
import { describe, expect, vi } from "vitest";
import { startPipeline } from "./pipeline-kit.ts";

interface Letter {
  id: string;
  reason: string;
  receivedAt: string;
  table: string;
  excerpt: string;
}

const event = (id: string, evname: string, enid: string) => ({ id, ts: "2024-05-01T12:00:00Z", entype: "user", evname, enid, body: { device: "ios" } });

describe("recovery: dead letters listed, the cause fixed, redriven once", () => {
  test("events beyond an app's table cap are listed with their reason, and come back once the cap is raised: one row per id, however often redriven", async ({ kafka, db, bucket, endpoints }) => {
    // franz's CLI reads the batcher's ledger where this test's batcher keeps it.
    vi.stubEnv("BATCHER_SCHEMA", db.schema);
    const pipeline = await startPipeline({ kafka, db, bucket, endpoints });
    const franz = <T>(...args: string[]) => JSON.parse(pipeline.franz([...args, "--json"])) as T;
    const rawEnd = async () => (await kafka.admin.topicOffsets(`${kafka.prefix}raw.acme`)).reduce((sum, p) => sum + Number(p.high), 0);
    try {
      const key = pipeline.createApp("acme", ["--max-tables", "1"]);
      // The first table's events first, so that it is the one the app has room for.
      expect((await pipeline.send("acme", key, [event("l1", "login", "u1"), event("l2", "login", "u2")])).status).toBe(202);
      await pipeline.rows("acme", "_e_user__login", 2);
      // A constraint added by hand: the warehouse refuses a row, and the loader sets it aside.
      await pipeline.warehouse.query(`ALTER TABLE ${pipeline.schemaOf("acme")}._e_user__login ADD CONSTRAINT no_android CHECK (device <> 'android')`);
      expect((await pipeline.send("acme", key, [{ ...event("l3", "login", "u3"), body: { device: "android" } }])).status).toBe(202);
      await waitFor("the refused row set aside", async () => {
        const { rows } = await db.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM set_aside_rows WHERE app = 'acme'`);
        return rows[0]!.n > 0 ? true : undefined;
      }, { timeoutMs: 60_000, intervalMs: 200 });
      const outIds = ["o1", "o2", "o3"];
      expect((await pipeline.send("acme", key, outIds.map((id, i) => event(id, "logout", `u${i}`)))).status).toBe(202);
      await readTopic(kafka.client, `${kafka.prefix}dlq.acme`, kafka.group("dlq"), { count: 3 });

      // The operator sees what was set aside, and why.
      const listing = franz<{ total: number; byReason: object; matching: number; letters: Letter[] }>("dlq", "list", "acme");
      expect(listing).toMatchObject({ total: 3, byReason: { REGISTRY_TABLE_LIMIT: 3 }, matching: 3 });
      expect(listing.letters.map((l) => [l.id, l.reason, l.table]).sort()).toEqual(outIds.map((id) => [id, "REGISTRY_TABLE_LIMIT", "_e_user__logout"]));
      for (const l of listing.letters) expect(l.excerpt).toContain(`"id":"${l.id}"`);
      expect(franz("dlq", "list", "acme", "--reason", "EVENT_*")).toMatchObject({ total: 3, matching: 0, letters: [] });
      expect(franz<{ letters: Letter[] }>("dlq", "list", "acme", "--limit", "1").letters).toHaveLength(1);
      expect(franz("apps", "describe", "acme")).toMatchObject({
        recovery: {
          deadLetters: { total: 3, byReason: { REGISTRY_TABLE_LIMIT: 3 } },
          ledger: { setAside: { rows: 1, byReason: { BATCHER_CONSTRAINT_VIOLATION: 1 } }, parked: { files: 0, rows: 0, byReason: {} } },
        },
      });
      const described = pipeline.franz(["apps", "describe", "acme"]);
      expect(described).toContain("dead letters (3): REGISTRY_TABLE_LIMIT 3");
      expect(described).toContain("rows set aside by the loader (1): BATCHER_CONSTRAINT_VIOLATION 1");
      expect(pipeline.franz(["dlq", "list", "acme"])).toMatch(/^o1 {2}REGISTRY_TABLE_LIMIT {2}received \S+ {2}table _e_user__logout/m);

      // A dry run says what it would send, and sends nothing.
      const before = await rawEnd();
      expect(franz("dlq", "redrive", "acme", "--dry-run")).toMatchObject({ dryRun: true, picked: 3, redriven: 0, byReason: { REGISTRY_TABLE_LIMIT: 3 }, skipped: [] });
      expect(await rawEnd()).toBe(before);

      // The cause fixed: room for a second table, applied by the running sqlizer at once.
      expect(franz("apps", "set", "acme", "--max-tables", "2")).toMatchObject({ name: "acme", settings: { maxTables: 2 } });

      expect(franz("dlq", "redrive", "acme", "--reason", "REGISTRY_TABLE_LIMIT")).toMatchObject({ dryRun: false, picked: 3, redriven: 3 });
      const rows = await pipeline.rows("acme", "_e_user__logout", 3);
      expect(rows.map((r) => r._sz_id)).toEqual(outIds);
      // The same rows as if the cap had been raised before they came: their own ids and received times.
      const receivedAt = new Map(listing.letters.map((l) => [l.id, new Date(l.receivedAt).getTime()]));
      for (const r of rows) expect((r._sz_received_at as Date).getTime()).toBe(receivedAt.get(r._sz_id as string));

      // A second redrive of the same letters goes through the whole pipeline again and adds nothing.
      expect(franz("dlq", "redrive", "acme", "--ids", ...outIds)).toMatchObject({ picked: 3, redriven: 3 });
      await waitFor("the second redrive's rows loaded", async () => {
        const { rows: loaded } = await db.pool.query<{ rows: string }>(
          `SELECT coalesce(sum(rows), 0) AS rows FROM batch_ledger WHERE app = 'acme' AND table_name = '_e_user__logout' AND state = 'loaded'`,
        );
        return Number(loaded[0]!.rows) >= 6 ? true : undefined;
      }, { timeoutMs: 60_000, intervalMs: 200 });
      const { rows: counts } = await pipeline.warehouse.query<{ id: string; n: number }>(
        `SELECT _sz_id AS id, count(*)::int AS n FROM ${pipeline.schemaOf("acme")}._e_user__logout GROUP BY _sz_id ORDER BY _sz_id`,
      );
      expect(counts).toEqual(outIds.map((id) => ({ id, n: 1 })));
      // Placed this time: no new dead letters.
      expect(franz("dlq", "list", "acme")).toMatchObject({ total: 3 });
    } finally {
      await pipeline.stop();
      vi.unstubAllEnvs();
    }
  }, 240_000);
});
