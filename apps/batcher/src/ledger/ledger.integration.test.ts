import { waitFor } from "@schematizer/errors";
import { quoteIdent } from "@schematizer/postgres";
import { test } from "@schematizer/testing";
import { describe, expect } from "vitest";
import { batcherHarness } from "../batcher-test-kit.ts";
import { buildOpsServer } from "../operations/ops-server.ts";

const LOGIN = "_e_user__login";

describe("the ledger fences concurrent writers; records that are not rows are kept, never skipped", () => {
  test("two batchers reading the same partition (a zombie and its successor) commit each record once", async ({ kafka, db, bucket, endpoints }) => {
    const h = await batcherHarness({ kafka, db, bucket, endpoints }, "acme");
    try {
      const events = Array.from({ length: 2000 }, (_, i) => ({ id: `e${i}`, evname: "login", body: { n: i } }));
      await h.send(events, 50);
      // Different consumer groups: both read every record, as a consumer that lost its partition
      // without knowing would. Small files, so their ranges race many times.
      const limits = { fileLimits: { maxRows: 37, maxBytes: 1 << 30 } };
      const a = await h.batcher({ ...limits, groupId: kafka.group("a") });
      const b = await h.batcher({ ...limits, groupId: kafka.group("b") });
      await h.waitForRows(LOGIN, 2000);
      const { rows } = await h.warehouse.query(`SELECT count(*)::int AS n, count(DISTINCT _sz_id)::int AS ids FROM ${quoteIdent(h.warehouseSchema)}.${quoteIdent(LOGIN)}`);
      expect(rows[0]).toEqual({ n: 2000, ids: 2000 });
      const ranges = await db.pool.query<{ first_offset: string; last_offset: string }>(`SELECT first_offset, last_offset FROM ranges ORDER BY first_offset`);
      let next = 0n;
      for (const r of ranges.rows) {
        expect(BigInt(r.first_offset)).toBe(next);
        next = BigInt(r.last_offset) + 1n;
      }
      expect(next).toBe(2000n);
      // Every record is in exactly one committed file, whichever batcher wrote it.
      const loaded = await db.pool.query(`SELECT sum(rows)::int AS rows FROM batch_ledger`);
      expect(loaded.rows[0]).toEqual({ rows: 2000 });
      await Promise.all([a.stop(), b.stop()]);
    } finally {
      await h.close();
    }
  });

  test("a record that is not a row is kept with its bytes and reason; the rows around it load", async ({ kafka, db, bucket, endpoints }) => {
    const h = await batcherHarness({ kafka, db, bucket, endpoints }, "acme");
    try {
      await h.send([{ id: "a", evname: "login", body: { level: 1 } }]);
      const producer = await kafka.client.producer();
      await producer.send([{ topic: h.sqlTopic, messages: [{ key: LOGIN, value: Buffer.from("not avro") }] }]);
      await producer.close();
      await h.send([{ id: "b", evname: "login", body: { level: 2 } }]);
      await h.batcher();
      await h.waitForRows(LOGIN, 2);
      const rejected = await db.pool.query(`SELECT "offset", code, object_key FROM rejected_records`);
      expect(rejected.rows).toEqual([{ offset: "1", code: "BATCHER_NOT_CONFLUENT", object_key: `rejects/acme/${h.sqlTopic}+0+0-2.jsonl.gz` }]);
      const kept = await bucket.store.get(`rejects/acme/${h.sqlTopic}+0+0-2.jsonl.gz`);
      const { gunzipSync } = await import("node:zlib");
      const line = JSON.parse(gunzipSync(kept!).toString());
      expect(Buffer.from(line.value, "base64").toString()).toBe("not avro");
    } finally {
      await h.close();
    }
  });

  test("/healthz, /readyz and /metrics answer", async ({ kafka, db, bucket, endpoints }) => {
    const h = await batcherHarness({ kafka, db, bucket, endpoints }, "acme");
    try {
      const { createMetricsRegistry } = await import("@schematizer/observability");
      const registry = createMetricsRegistry("batcher", { processMetrics: false });
      const batcher = await h.batcher({ metrics: registry });
      await h.send([{ id: "a", evname: "login", body: { level: 1 } }]);
      await h.waitForRows(LOGIN, 1);
      const app = buildOpsServer({ metrics: registry, notReadyReason: () => batcher.notReadyReason() });
      expect((await app.inject("/healthz")).statusCode).toBe(200);
      expect((await app.inject("/readyz")).json()).toEqual({ status: "ready" });
      // The row is queryable once the warehouse commits; the loader counts it just after.
      const loaded = /batcher_rows_loaded_total\{app="acme",service="batcher"\} 1/;
      const text = await waitFor("the load counted", async () => {
        const body = (await app.inject("/metrics")).body;
        return loaded.test(body) ? body : undefined;
      }, { timeoutMs: 10_000 });
      expect(text).toMatch(loaded);
      expect(text).toMatch(/batcher_rows_flushed_total\{app="acme",service="batcher"\} 1/);
      expect(text).toContain("batcher_freshness_seconds");
      // The partition this replica reads reports its lag behind the ledger (none left).
      expect(text).toMatch(/batcher_ledger_lag_messages\{topic="[^"]*sql\.acme",partition="\d+",service="batcher"\} 0/);
      await app.close();
    } finally {
      await h.close();
    }
  });
});
