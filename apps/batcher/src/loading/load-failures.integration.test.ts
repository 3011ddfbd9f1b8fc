import { waitFor } from "@schematizer/errors";
import { createPool, quoteIdent } from "@schematizer/postgres";
import { tcpProxy, test } from "@schematizer/testing";
import { describe, expect } from "vitest";
import { batcherHarness } from "../batcher-test-kit.ts";
import { operatorCommand } from "../operations/operator-commands.ts";
import { postgresWarehouse } from "@schematizer/warehouse";

const LOGIN = "_e_user__login";

describe("a batch that cannot load is parked with its reason, and holds nothing back; an outage parks nothing", () => {
  test("a parked batch does not hold the later batches of its table; sent back once fixed, it loads", async ({ kafka, db, bucket, endpoints }) => {
    const h = await batcherHarness({ kafka, db, bucket, endpoints }, "acme");
    try {
      // Stage 1 alone first, so both batches are in the ledger before any load.
      const stage1 = await h.batcher({ stages: { toS3: true, toWarehouse: false } });
      await h.send([{ id: "a", evname: "login", body: { level: 1 } }]);
      const first = await waitFor("the first batch", async () => (await db.pool.query<{ data_key: string }>(`SELECT data_key FROM batch_ledger`)).rows[0]?.data_key, { timeoutMs: 30_000 });
      await h.send([{ id: "b", evname: "login", body: { level: 2 } }]);
      await waitFor("the second batch", async () => ((await db.pool.query(`SELECT 1 FROM batch_ledger`)).rowCount === 2 ? true : undefined), { timeoutMs: 30_000 });
      await stage1.stop();
      // The first batch's file goes missing from the bucket (a lifecycle rule, a hand).
      const kept = await bucket.store.get(first);
      await bucket.store.delete([first]);

      const loader = await h.batcher({ stages: { toS3: false, toWarehouse: true } });
      await h.waitForRows(LOGIN, 1);
      expect(await h.rows(LOGIN, "_sz_id")).toEqual([{ _sz_id: "b" }]);
      await waitFor("the first batch parked", async () => ((await h.ledger.operators.parked()).length === 1 ? true : undefined), { timeoutMs: 30_000 });
      const [parked] = await h.ledger.operators.parked();
      expect(parked).toMatchObject({ dataKey: first, code: "BATCHER_FILE_MISSING", reason: `batch file ${first} is not in the bucket` });
      expect((await loader.metrics.batchesParked.get()).values).toEqual([{ labels: { app: "acme", reason: "BATCHER_FILE_MISSING" }, value: 1 }]);
      expect(await operatorCommand(["parked"], h.ledger)).toContain("BATCHER_FILE_MISSING");

      // An operator restores the file and sends the batch back.
      await bucket.store.put(first, kept as Buffer);
      expect(await operatorCommand(["retry", parked!.id], h.ledger)).toBe(`sent 1 parked batch back to the loader: ${parked!.id}`);
      await h.waitForRows(LOGIN, 2);
      expect(await h.ledger.operators.parked()).toEqual([]);
    } finally {
      await h.close();
    }
  });

  test("failures while the warehouse does not answer are not counted; a failure that repeats while it answers parks the batch after the bound", async ({ kafka, db, bucket, endpoints }) => {
    const h = await batcherHarness({ kafka, db, bucket, endpoints }, "acme");
    const proxy = await tcpProxy({ host: new URL(db.url).hostname, port: Number(new URL(db.url).port) });
    const locker = createPool({ connectionString: db.url, max: 1 });
    try {
      // The warehouse through a line the test can cut; statements time out after 300 ms.
      const url = new URL(db.url);
      url.port = String(proxy.port);
      url.searchParams.set("options", "-c statement_timeout=300");
      const warehouse = postgresWarehouse({ pool: createPool({ connectionString: url.toString(), max: 4 }), store: bucket.store, schemaPrefix: `${db.schema}_` });
      const batcher = await h.batcher({ warehouse, maxLoadFailures: 2, backoff: { baseMs: 20, maxMs: 100 } });

      // An outage: many more failures than the bound, and nothing is parked.
      await proxy.cut();
      await h.send([{ id: "a", evname: "login", body: { level: 1 } }]);
      const during = await waitFor(
        "failed attempts during the outage",
        async () => {
          const { rows } = await db.pool.query<{ state: string; attempts: number }>(`SELECT state, attempts FROM batch_ledger`);
          return rows[0] !== undefined && rows[0].attempts >= 6 ? rows[0] : undefined;
        },
        { timeoutMs: 30_000 },
      );
      expect(during).toMatchObject({ state: "pending" });
      expect((await db.pool.query(`SELECT strikes FROM batch_ledger`)).rows).toEqual([{ strikes: 0 }]);
      expect(await h.ledger.operators.parked()).toEqual([]);
      expect((await batcher.metrics.loadFailures.get()).values.map((v) => v.labels.reason)).toEqual(["BATCHER_WAREHOUSE_UNAVAILABLE"]);
      await proxy.mend();
      await h.waitForRows(LOGIN, 1);

      // The warehouse answers, but the table is locked: every load times out, and the batch is parked after 2.
      const lock = await locker.connect();
      await lock.query("BEGIN");
      await lock.query(`LOCK TABLE ${quoteIdent(h.warehouseSchema)}.${quoteIdent(LOGIN)} IN ACCESS EXCLUSIVE MODE`);
      await h.send([{ id: "b", evname: "login", body: { level: 2 } }]);
      await waitFor("the batch parked", async () => ((await h.ledger.operators.parked()).length === 1 ? true : undefined), { timeoutMs: 30_000 });
      const [parked] = await h.ledger.operators.parked();
      expect(parked).toMatchObject({ code: "BATCHER_RETRIES_EXHAUSTED", attempts: 2, reason: expect.stringMatching(/^failed 2 times while the warehouse answered; last: BATCHER_WAREHOUSE_UNAVAILABLE: canceling statement due to statement timeout/) });
      expect((await batcher.metrics.batchesParked.get()).values).toEqual([{ labels: { app: "acme", reason: "BATCHER_RETRIES_EXHAUSTED" }, value: 1 }]);
      const retried = (await batcher.metrics.batchesRetried.get()).values.find((v) => v.metricName === "batcher_batches_retried_count");
      expect(retried?.value).toBe(2);

      await lock.query("ROLLBACK");
      lock.release();
      await operatorCommand(["retry", "--all"], h.ledger);
      await h.waitForRows(LOGIN, 2);
    } finally {
      await locker.end();
      await h.close();
      await proxy.close();
    }
  });
});
