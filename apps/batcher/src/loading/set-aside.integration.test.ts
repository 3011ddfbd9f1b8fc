import { quoteIdent } from "@schematizer/postgres";
import { test } from "@schematizer/testing";
import { describe, expect } from "vitest";
import { batcherHarness } from "../batcher-test-kit.ts";
import { operatorCommand } from "../operations/operator-commands.ts";

const LOGIN = "_e_user__login";
/** The system columns every table starts with, as the registry's first version creates them. */
const SYSTEM = `_sz_id text PRIMARY KEY, _sz_ts timestamptz, _sz_enid text, _sz_received_at timestamptz, _sz_version bigint, _sz_unmapped jsonb`;

describe("a row the warehouse refuses is set aside; the rest of its file and the batches after it load", () => {
  test("a value its column cannot hold: the row is kept with its reason, shown by the command, and loads again once the table is fixed", async ({ kafka, db, bucket, endpoints }) => {
    const h = await batcherHarness({ kafka, db, bucket, endpoints }, "acme");
    try {
      // Someone narrowed the column by hand: one row's value no longer fits.
      const table = `${quoteIdent(h.warehouseSchema)}.${quoteIdent(LOGIN)}`;
      await h.warehouse.query(`CREATE SCHEMA ${quoteIdent(h.warehouseSchema)}`);
      await h.warehouse.query(`CREATE TABLE ${table} (${SYSTEM}, level smallint)`);
      await h.send([
        { id: "a", evname: "login", body: { level: 1 } },
        { id: "b", evname: "login", body: { level: 100_000 } },
        { id: "c", evname: "login", body: { level: 3 } },
      ]);
      const batcher = await h.batcher();
      await h.waitForRows(LOGIN, 2);
      expect(await h.rows(LOGIN, "_sz_id, level")).toEqual([
        { _sz_id: "a", level: 1 },
        { _sz_id: "c", level: 3 },
      ]);
      const ledger = await db.pool.query(`SELECT state, rows, rows_inserted, rows_set_aside, attempts FROM batch_ledger`);
      expect(ledger.rows).toEqual([{ state: "loaded", rows: "3", rows_inserted: "2", rows_set_aside: "1", attempts: 0 }]);

      const listed = await operatorCommand(["set-aside", "--app", "acme"], h.ledger);
      expect(listed).toContain(`acme.${LOGIN} v1  loads/acme/${LOGIN}/v1/${h.sqlTopic}+0+0-2.csv.gz line 2`);
      expect(listed).toContain(`BATCHER_INVALID_VALUE: value "100000" is out of range for type smallint`);
      expect(listed).toMatch(/"b,.*,100000"/);
      const [row] = await h.ledger.setAside.list("acme");
      expect(row?.csv.toString()).toMatch(/^b,/);
      expect((await batcher.metrics.rowsSetAside.get()).values).toEqual([{ labels: { app: "acme", reason: "BATCHER_INVALID_VALUE" }, value: 1 }]);

      // The next batches of the table load.
      await h.send([{ id: "d", evname: "login", body: { level: 4 } }]);
      await h.waitForRows(LOGIN, 3);

      // An operator fixes the table and loads the row again.
      await h.warehouse.query(`ALTER TABLE ${table} ALTER COLUMN level TYPE bigint`);
      expect(await operatorCommand(["reload", "--all", "--app", "acme"], h.ledger, bucket.store)).toMatch(/^queued 1 set-aside row for loading in 1 batch: \d+ \(acme\._e_user__login, 1 rows\)$/);
      await h.waitForRows(LOGIN, 4);
      expect(await h.rows(LOGIN, "_sz_id, level")).toEqual([
        { _sz_id: "a", level: "1" },
        { _sz_id: "b", level: "100000" },
        { _sz_id: "c", level: "3" },
        { _sz_id: "d", level: "4" },
      ]);
      expect(await operatorCommand(["set-aside"], h.ledger)).toBe("no rows set aside");
    } finally {
      await h.close();
    }
  });

  test("a row too big for Postgres (8160 bytes in line) is set aside at once, not retried: the rest of its file loads", async ({ kafka, db, bucket, endpoints }) => {
    const h = await batcherHarness({ kafka, db, bucket, endpoints }, "acme");
    try {
      // A table wide enough that a row setting all its 1,100 bigint columns exceeds Postgres's row size;
      // they are generated from `level`, so only the row with level 666 sets them.
      const wide = Array.from({ length: 1100 }, (_, i) => `c${i} bigint GENERATED ALWAYS AS (CASE WHEN level = 666 THEN level + ${i} END) STORED`);
      await h.warehouse.query(`CREATE SCHEMA ${quoteIdent(h.warehouseSchema)}`);
      await h.warehouse.query(`CREATE TABLE ${quoteIdent(h.warehouseSchema)}.${quoteIdent(LOGIN)} (${SYSTEM}, level bigint, ${wide.join(", ")})`);
      await h.send([
        { id: "a", evname: "login", body: { level: 1 } },
        { id: "b", evname: "login", body: { level: 666 } },
        { id: "c", evname: "login", body: { level: 2 } },
        { id: "d", evname: "login", body: { level: 3 } },
      ]);
      const batcher = await h.batcher();
      await h.waitForRows(LOGIN, 3);
      expect((await h.rows(LOGIN, "_sz_id")).map((r) => r._sz_id)).toEqual(["a", "c", "d"]);
      const [row, ...more] = await h.ledger.setAside.list();
      expect(more).toEqual([]);
      expect(row).toMatchObject({ app: "acme", table: LOGIN, line: 2, code: "BATCHER_ROW_TOO_BIG", reason: expect.stringMatching(/^row is too big: size \d+, maximum size 8160$/) });
      const ledger = await db.pool.query(`SELECT state, attempts, rows_set_aside FROM batch_ledger`);
      expect(ledger.rows).toEqual([{ state: "loaded", attempts: 0, rows_set_aside: "1" }]);
      expect((await batcher.metrics.loadFailures.get()).values).toEqual([]);
    } finally {
      await h.close();
    }
  });
});
