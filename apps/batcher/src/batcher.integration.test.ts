import { createMetricsRegistry } from "@schematizer/observability";
import { quoteIdent } from "@schematizer/postgres";
import { test } from "@schematizer/testing";
import { describe, expect } from "vitest";
import { batcherHarness } from "./batcher-test-kit.ts";

const LOGIN = "_e_user__login";
const MISSION = "_e_user__pass_mission";

describe("batcher against the real broker, Postgres and S3", () => {
  test("rows arrive in one table per event kind, with the right types and exact values", async ({ kafka, db, bucket, endpoints }) => {
    const h = await batcherHarness({ kafka, db, bucket, endpoints }, "acme");
    try {
      await h.send([
        {
          id: "e1",
          evname: "pass_mission",
          enid: "u1",
          body: {
            level: 7,
            score: 1.5,
            mission_name: 'caverns, "deep"\nlevel',
            is_premium: false,
            started_at: "2015-01-01T00:31:32.123456Z",
            day: "2020-02-29",
            tags: ["a", "b"],
            big: 123456789012345678901234567890n,
            device: { os: "ios" },
            empty: "",
          },
        },
        { id: "e2", evname: "pass_mission", body: { level: -3, score: -0.25, mission_name: "x", is_premium: true } },
        { id: "l1", evname: "login", body: { device: "web" } },
      ]);
      const metrics = createMetricsRegistry("batcher", { processMetrics: false });
      await h.batcher({ metrics });
      await h.waitForRows(MISSION, 2);
      await h.waitForRows(LOGIN, 1);
      // Its two group members share the topic's one partition: one is assigned it.
      expect(await metrics.metrics()).toContain(`batcher_partitions_consumed{topic="${h.sqlTopic}",service="batcher"} 1\n`);

      const types = await h.warehouse.query<{ column_name: string; data_type: string }>(
        `SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position`,
        [h.warehouseSchema, MISSION],
      );
      expect(Object.fromEntries(types.rows.map((r) => [r.column_name, r.data_type]))).toMatchObject({
        _sz_id: "text",
        _sz_ts: "timestamp with time zone",
        _sz_received_at: "timestamp with time zone",
        level: "bigint",
        score: "double precision",
        mission_name: "text",
        is_premium: "boolean",
        started_at: "timestamp with time zone",
        day: "date",
        tags: "jsonb",
        big: "numeric",
        device__os: "text",
        empty: "text",
      });

      const rows = await h.rows(
        MISSION,
        `_sz_id, _sz_enid, _sz_ts = '2015-01-01T00:31:32Z' AS ts_ok, level, score, mission_name, is_premium,
         to_char(started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') AS started_at, day::text AS day, tags, big::text AS big, device__os, empty`,
      );
      expect(rows).toEqual([
        {
          _sz_id: "e1",
          _sz_enid: "u1",
          ts_ok: true,
          level: "7",
          score: 1.5,
          mission_name: 'caverns, "deep"\nlevel',
          is_premium: false,
          started_at: "2015-01-01T00:31:32.123456",
          day: "2020-02-29",
          tags: ["a", "b"],
          big: "123456789012345678901234567890",
          device__os: "ios",
          empty: "",
        },
        {
          _sz_id: "e2",
          _sz_enid: null,
          ts_ok: true,
          level: "-3",
          score: -0.25,
          mission_name: "x",
          is_premium: true,
          started_at: null,
          day: null,
          tags: null,
          big: null,
          device__os: null,
          empty: null,
        },
      ]);
      expect(await h.rows(LOGIN, "_sz_id, device")).toEqual([{ _sz_id: "l1", device: "web" }]);

      // The files and the ledger say what was loaded.
      const ledger = await db.pool.query(`SELECT table_name, state, rows, rows_inserted FROM batch_ledger ORDER BY table_name`);
      expect(ledger.rows).toEqual([
        { table_name: LOGIN, state: "loaded", rows: "1", rows_inserted: "1" },
        { table_name: MISSION, state: "loaded", rows: "2", rows_inserted: "2" },
      ]);
      const keys = (await bucket.store.list("loads/acme/")).map((o) => o.key);
      expect(keys.filter((k) => k.endsWith(".csv.gz"))).toEqual([
        `loads/acme/${LOGIN}/v1/${h.sqlTopic}+0+0-2.csv.gz`,
        `loads/acme/${MISSION}/v1/${h.sqlTopic}+0+0-2.csv.gz`,
      ]);
      const manifest = JSON.parse((await bucket.store.get(`loads/acme/${MISSION}/v1/${h.sqlTopic}+0+0-2.manifest`))!.toString());
      expect(manifest.entries).toEqual([{ url: `s3://${bucket.bucket}/loads/acme/${MISSION}/v1/${h.sqlTopic}+0+0-2.csv.gz`, mandatory: true, meta: { content_length: expect.any(Number) } }]);
      const meta = JSON.parse((await bucket.store.get(`loads/acme/${MISSION}/v1/${h.sqlTopic}+0+0-2.meta.json`))!.toString());
      expect(meta).toMatchObject({ table: MISSION, version: 1, rows: 2, firstOffset: "0", lastOffset: "2" });
      expect(meta.columns.slice(0, 6)).toEqual(["_sz_id", "_sz_ts", "_sz_enid", "_sz_received_at", "_sz_version", "_sz_unmapped"]);
      expect(meta.columns).toContain("mission_name");
    } finally {
      await h.close();
    }
  });

  test("a column that appears mid-stream is added, and earlier rows read NULL in it", async ({ kafka, db, bucket, endpoints }) => {
    const h = await batcherHarness({ kafka, db, bucket, endpoints }, "acme");
    try {
      await h.batcher();
      await h.send([
        { id: "a", evname: "login", body: { level: 1 } },
        { id: "b", evname: "login", body: { level: 2 } },
      ]);
      await h.waitForRows(LOGIN, 2);
      await h.send([{ id: "c", evname: "login", body: { level: 3, country: "fr" } }]);
      await h.waitForRows(LOGIN, 3);
      expect(await h.rows(LOGIN, "_sz_id, level, country, _sz_version")).toEqual([
        { _sz_id: "a", level: "1", country: null, _sz_version: "1" },
        { _sz_id: "b", level: "2", country: null, _sz_version: "1" },
        { _sz_id: "c", level: "3", country: "fr", _sz_version: "2" },
      ]);
    } finally {
      await h.close();
    }
  });

  test("an int-to-float widening keeps every old value, in files loaded before and after it", async ({ kafka, db, bucket, endpoints }) => {
    const h = await batcherHarness({ kafka, db, bucket, endpoints }, "acme");
    try {
      await h.batcher();
      const ints = [0, 1, -1, 9007199254740991, -9007199254740991, 123456789];
      await h.send(ints.map((n, i) => ({ id: `i${i}`, evname: "login", body: { amount: n } })));
      await h.waitForRows(LOGIN, ints.length);
      // Rows of version 1 sent after the widening, as a sqlizer with a stale cache would.
      await h.send([{ id: "f0", evname: "login", body: { amount: 2.5 } }]);
      await h.waitForRows(LOGIN, ints.length + 1);
      const types = await h.warehouse.query<{ data_type: string }>(
        `SELECT data_type FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 AND column_name = 'amount'`,
        [h.warehouseSchema, LOGIN],
      );
      expect(types.rows[0]?.data_type).toBe("double precision");
      const rows = await h.rows(LOGIN, `_sz_id, amount`);
      expect(Object.fromEntries(rows.map((r) => [r._sz_id, r.amount]))).toEqual({
        ...Object.fromEntries(ints.map((n, i) => [`i${i}`, n])),
        f0: 2.5,
      });
    } finally {
      await h.close();
    }
  });

  test("the same events sent twice, in one batch and across batches, give one row each", async ({ kafka, db, bucket, endpoints }) => {
    const h = await batcherHarness({ kafka, db, bucket, endpoints }, "acme");
    try {
      await h.batcher();
      const events = Array.from({ length: 50 }, (_, i) => ({ id: `e${i}`, evname: "login", body: { n: i } }));
      await h.send([...events, ...events.slice(0, 10)]);
      await h.waitForRows(LOGIN, 50);
      await h.send(events.slice(5, 30));
      await h.send([{ id: "last", evname: "login", body: { n: 999 } }]);
      await h.waitForRows(LOGIN, 51);
      const { rows } = await h.warehouse.query<{ n: string; ids: string; first_n_ok: boolean }>(
        `SELECT count(*) AS n, count(DISTINCT _sz_id) AS ids, bool_and(CASE WHEN _sz_id = 'last' THEN n = 999 ELSE n = substr(_sz_id, 2)::bigint END) AS first_n_ok
         FROM ${quoteIdent(h.warehouseSchema)}.${quoteIdent(LOGIN)}`,
      );
      expect(rows[0]).toEqual({ n: "51", ids: "51", first_n_ok: true });
      const loads = await db.pool.query<{ rows: string; rows_inserted: string }>(`SELECT rows, rows_inserted FROM batch_ledger WHERE state = 'loaded'`);
      const sent = loads.rows.reduce((n, r) => n + Number(r.rows), 0);
      const inserted = loads.rows.reduce((n, r) => n + Number(r.rows_inserted), 0);
      expect([sent, inserted]).toEqual([86, 51]);
    } finally {
      await h.close();
    }
  });
});
