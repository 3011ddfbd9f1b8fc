import { emptySchema, mergeSchema, observe, tableName, type Dialect, type JsonObject, type TableSchema } from "@schematizer/schema";
import { planPostgres } from "../postgres/postgres-ddl.ts";
import { planRedshift } from "../redshift/redshift-ddl.ts";
import { describe, expect, it } from "vitest";
import { dimensionOf } from "./dimension-tables.ts";

function evolve(schema: TableSchema, ...bodies: JsonObject[]): TableSchema {
  for (const body of bodies) schema = mergeSchema(schema, observe(body)).schema;
  return schema;
}

const identifies = (dialect: Dialect, entype = "user") => emptySchema(tableName(entype, "identifies", dialect), dialect);
const v1 = evolve(identifies("postgres"), { userId: "u1", traits: { email: "a@x.io", logins: 5 }, context: { ip: "8.8.8.8" } });
const v2 = evolve(v1, { userId: "u1", traits: { logins: "many", company: { name: "Initech" } } });

describe("dimensionOf", () => {
  it("keeps one row per user for an identifies table: its key, watermark and traits, named and typed as there", () => {
    const dimension = dimensionOf(v1);
    expect(dimension).toMatchObject({ table: "_d_user", source: "_e_user__identifies", key: "_sz_enid", traits: ["traits__email", "traits__logins"] });
    expect(dimension?.schema).toEqual({
      table: "_d_user",
      dialect: "postgres",
      version: v1.version,
      columns: [
        { name: "_sz_enid", type: "varchar", sources: [] },
        { name: "_sz_ts", type: "timestamptz", sources: [] },
        { name: "_sz_id", type: "varchar", sources: [] },
        { name: "traits__email", type: "varchar", sources: [["traits", "email"]] },
        { name: "traits__logins", type: "bigint", sources: [["traits", "logins"]] },
      ],
    });
  });

  it("keeps one row per group_id for a groups table, once it has that column", () => {
    const groups = emptySchema("_e_user__groups", "redshift");
    expect(dimensionOf(evolve(groups, { userId: "u1", traits: { name: "Initech" } }))).toBeUndefined();
    const dimension = dimensionOf(evolve(groups, { userId: "u1", groupId: "g1", traits: { name: "Initech" } }));
    expect(dimension).toMatchObject({ table: "_d_user__groups", key: "group_id", traits: ["traits__name"] });
    expect(dimension?.schema.columns[0]).toMatchObject({ name: "group_id", type: "varchar" });
  });

  it("follows the entity type an app chose, and leaves every other table alone", () => {
    expect(dimensionOf(evolve(identifies("redshift", "Account"), { traits: { tier: 1 } }))?.table).toBe("_d_account");
    for (const table of ["_e_user__order_completed", "_e_user__pages", "_e_user__identifies_v2", "_d_user"]) {
      expect(dimensionOf(evolve(emptySchema(table, "postgres"), { traits: { a: 1 } }))).toBeUndefined();
    }
    // A name cut and hashed for length no longer says it is an identifies table.
    const long = identifies("postgres", "x".repeat(60));
    expect(long.table).not.toMatch(/__identifies$/);
    expect(dimensionOf(evolve(long, { traits: { a: 1 } }))).toBeUndefined();
  });

  it("evolves as its event table does, so the same DDL planners bring it along", () => {
    const [before, after] = [dimensionOf(v1)!.schema, dimensionOf(v2)!.schema];
    expect(after.version).toBe(v2.version);
    expect(planPostgres(before, after, { schema: "acme" }).map((s) => s.sql.split("\n").find((l) => l.includes("ALTER TABLE"))?.trim())).toEqual([
      `ALTER TABLE "acme"."_d_user" ALTER COLUMN "traits__logins" TYPE text USING "traits__logins"::text;`,
      `ALTER TABLE "acme"."_d_user" ADD COLUMN IF NOT EXISTS "traits__company__name" text`,
    ]);
    const r1 = evolve(identifies("redshift"), { traits: { email: "a" } });
    const r2 = evolve(r1, { traits: { email: "a".repeat(300), seats: 3 } });
    expect(planRedshift(dimensionOf(r1)!.schema, dimensionOf(r2)!.schema, { schema: "acme" }).map((s) => s.sql)).toEqual([
      `ALTER TABLE "acme"."_d_user" ADD COLUMN "traits__seats" BIGINT`,
      `ALTER TABLE "acme"."_d_user" ALTER COLUMN "traits__email" TYPE VARCHAR(1024)`,
    ]);
  });
});
