import { describe, expect } from "vitest";
import { test } from "@schematizer/testing";
import { startPipeline } from "./pipeline-kit.ts";

const APPURI = { ts: "2015-01-01T00:31:32Z", entype: "user", evname: "pass_mission", body: { level: 7, mission_name: "caverns", is_premium: false } };
const micros = (iso: string) => new Date(iso);

describe("the whole pipeline: HTTP → Kafka → sqlizer → Kafka → batcher → S3 → warehouse", () => {
  test("the Appuri example and a mixed stream of two apps land in typed tables, exactly", async ({ kafka, db, bucket, endpoints }) => {
    const pipeline = await startPipeline({ kafka, db, bucket, endpoints });
    try {
      const acme = pipeline.createApp("acme");
      const globex = pipeline.createApp("globex", ["--max-tables", "2"]);

      const first = await pipeline.send("acme", acme, [{ ...APPURI, id: "a1", enid: "u1" }, { ...APPURI, id: "a2", body: { level: 9, mission_name: "peaks", is_premium: true } }]);
      expect(first).toMatchObject({ status: 202, body: { accepted: 2, ids: ["a1", "a2"] } });
      expect((await pipeline.send("acme", acme, [
        { id: "a3", ts: 1420072292000, entype: "user", evname: "login", body: { device: { os: "ios", version: "9.1" }, tags: ["x", "y"], first: true } },
      ])).status).toBe(202);
      expect((await pipeline.send("globex", globex, [
        { id: "g1", ts: "2015-01-02T10:00:00Z", entype: "order", evname: "placed", body: { total: 12.5, currency: "EUR", paid_at: "2015-01-02T10:00:05Z", day: "2015-01-02" } },
        { id: "g2", ts: "2015-01-02T10:01:00Z", entype: "order", evname: "shipped", body: { carrier: "dhl" } },
      ])).status).toBe(202);
      // Bad events are refused at the door, by index and field, and nothing of the request is taken.
      const bad = await pipeline.send("acme", acme, [APPURI, { ...APPURI, ts: "yesterday" }]);
      expect(bad).toMatchObject({ status: 400, body: { code: "SINK_BAD_EVENTS", errors: [{ index: 1, path: "$.ts", code: "ENVELOPE_FIELD_FORMAT" }] } });

      const missions = await pipeline.rows("acme", "_e_user__pass_mission", 2);
      expect(missions.map((r) => ({ ...r, _sz_received_at: undefined }))).toEqual([
        { _sz_id: "a1", _sz_ts: micros("2015-01-01T00:31:32Z"), _sz_enid: "u1", _sz_received_at: undefined, _sz_version: "1", _sz_unmapped: null, is_premium: false, level: "7", mission_name: "caverns" },
        { _sz_id: "a2", _sz_ts: micros("2015-01-01T00:31:32Z"), _sz_enid: null, _sz_received_at: undefined, _sz_version: "1", _sz_unmapped: null, is_premium: true, level: "9", mission_name: "peaks" },
      ]);
      for (const r of missions) expect(Date.now() - (r._sz_received_at as Date).getTime()).toBeLessThan(120_000);
      expect(await pipeline.columns("acme", "_e_user__pass_mission")).toEqual([
        ["_sz_id", "text"], ["_sz_ts", "timestamp with time zone"], ["_sz_enid", "text"], ["_sz_received_at", "timestamp with time zone"],
        ["_sz_version", "bigint"], ["_sz_unmapped", "json"], ["is_premium", "boolean"], ["level", "bigint"], ["mission_name", "text"],
      ]);
      // The analyst's query.
      const { rows: levels } = await pipeline.warehouse.query(
        `SELECT level, COUNT(*)::int AS n FROM ${pipeline.schemaOf("acme")}._e_user__pass_mission WHERE is_premium = true GROUP BY level`,
      );
      expect(levels).toEqual([{ level: "9", n: 1 }]);

      const [login] = await pipeline.rows("acme", "_e_user__login", 1);
      expect(login).toMatchObject({ _sz_id: "a3", device__os: "ios", device__version: "9.1", tags: ["x", "y"], first: true });
      const [placed] = await pipeline.rows("globex", "_e_order__placed", 1);
      expect(placed).toMatchObject({ total: 12.5, currency: "EUR", paid_at: micros("2015-01-02T10:00:05Z") });
      expect(await pipeline.columns("globex", "_e_order__placed")).toEqual(expect.arrayContaining([["total", "double precision"], ["paid_at", "timestamp with time zone"], ["day", "date"]]));
      expect(await pipeline.rows("globex", "_e_order__shipped", 1)).toMatchObject([{ _sz_id: "g2", carrier: "dhl" }]);
      // The app allows two tables, and has them: a third kind of event is kept in the dead-letter
      // topic, not lost. (Sent after the first two are placed: events on different partitions have no order.)
      expect((await pipeline.send("globex", globex, [{ id: "g3", ts: "2015-01-02T10:02:00Z", entype: "order", evname: "returned", body: {} }])).status).toBe(202);
      const { rows: tables } = await pipeline.warehouse.query(`SELECT tablename FROM pg_tables WHERE schemaname = $1 AND tablename LIKE '\\_e\\_%' ORDER BY 1`, [pipeline.schemaOf("globex")]);
      expect(tables.map((t) => t.tablename)).toEqual(["_e_order__placed", "_e_order__shipped"]);

      const dlq = await (await import("@schematizer/testing")).readTopic(kafka.client, `${kafka.prefix}dlq.globex`, kafka.group("dlq"), { count: 1 });
      expect(dlq.map((m) => [m.headers["sz-id"]?.toString(), m.headers["sz-error-code"]?.toString()])).toEqual([["g3", "REGISTRY_TABLE_LIMIT"]]);
    } finally {
      await pipeline.stop();
    }
  }, 180_000);

  test("schema evolution end to end: a new column reads NULL for earlier rows, a widening keeps every value", async ({ kafka, db, bucket, endpoints }) => {
    const pipeline = await startPipeline({ kafka, db, bucket, endpoints });
    try {
      const key = pipeline.createApp("acme");
      const score = (id: string, body: object) => ({ id, ts: "2015-01-01T00:31:32Z", entype: "game", evname: "score", body });
      expect((await pipeline.send("acme", key, [score("e1", { points: 10 }), score("e2", { points: 11 })])).status).toBe(202);
      await pipeline.rows("acme", "_e_game__score", 2);
      expect(await pipeline.columns("acme", "_e_game__score")).toContainEqual(["points", "bigint"]);

      expect((await pipeline.send("acme", key, [score("e3", { points: 12.5, combo: 3 }), score("e4", { points: 13, combo: 4 })])).status).toBe(202);
      const rows = await pipeline.rows("acme", "_e_game__score", 4);
      const columns = await pipeline.columns("acme", "_e_game__score");
      expect(columns).toContainEqual(["points", "double precision"]);
      expect(columns).toContainEqual(["combo", "bigint"]);
      expect(rows.map((r) => [r._sz_id, r.points, r.combo])).toEqual([
        ["e1", 10, null],
        ["e2", 11, null],
        ["e3", 12.5, "3"],
        ["e4", 13, "4"],
      ]);
      // Earlier rows keep their version; e3 and e4 may have taken one version or two, in either
      // order, as their partitions were processed.
      expect(rows.map((r) => Number(r._sz_version))).toEqual([1, 1, expect.any(Number), expect.any(Number)]);
      expect(Number(rows[2]!._sz_version)).toBeGreaterThan(1);

      // The same events again (a client retry with the same ids): still one row each.
      expect((await pipeline.send("acme", key, [score("e1", { points: 10 }), score("e3", { points: 12.5, combo: 3 })])).status).toBe(202);
      expect((await pipeline.send("acme", key, [score("e5", { points: 1 })])).status).toBe(202);
      const after = await pipeline.rows("acme", "_e_game__score", 5);
      expect(after.map((r) => r._sz_id)).toEqual(["e1", "e2", "e3", "e4", "e5"]);
    } finally {
      await pipeline.stop();
    }
  }, 180_000);
});
