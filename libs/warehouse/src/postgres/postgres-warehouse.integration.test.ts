import { createPool, quoteIdent } from "@schematizer/postgres";
import { test } from "@schematizer/testing";
import { describe, expect } from "vitest";
import { postgresWarehouse } from "./postgres-warehouse.ts";

describe("the Postgres warehouse", () => {
  test("loaders preparing a new app's bookkeeping at the same moment all succeed", async ({ db, bucket }) => {
    const prefix = `${db.schema}_`;
    const pools = Array.from({ length: 4 }, () => createPool({ connectionString: db.url, max: 4 }));
    try {
      // Four replicas, each loading several tables of a new app at once: IF NOT EXISTS collides in
      // the catalog ("already exists", a unique violation) and must not fail a load.
      for (let round = 0; round < 5; round++) {
        const app = `race${round}`;
        const warehouses = pools.map((pool) => postgresWarehouse({ pool, store: bucket.store, schemaPrefix: prefix }));
        const answers = await Promise.allSettled(warehouses.flatMap((w) => ["_e_a__b", "_e_c__d", "_e_e__f"].map((t) => w.appliedVersion(app, t))));
        expect(answers.filter((a) => a.status === "rejected")).toEqual([]);
        expect(answers.map((a) => (a as PromiseFulfilledResult<unknown>).value)).toEqual(answers.map(() => undefined));
      }
    } finally {
      for (let round = 0; round < 5; round++) await pools[0]!.query(`DROP SCHEMA IF EXISTS ${quoteIdent(`${prefix}race${round}`)} CASCADE`);
      await Promise.all(pools.map((p) => p.end()));
    }
  });
});
