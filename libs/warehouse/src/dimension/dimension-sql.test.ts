import { emptySchema, mergeSchema, observe, type Dialect, type JsonObject } from "@schematizer/schema";
import { describe, expect, it } from "vitest";
import { postgresBackfillSql, postgresKeyIndexSql, postgresStagedLoadSql } from "../postgres/postgres-dimension.ts";
import { redshiftBackfillSql, redshiftMergeSql } from "../redshift/redshift-dimension.ts";
import { dimensionOf, type Dimension } from "./dimension-tables.ts";

function dimension(table: string, dialect: Dialect, body: JsonObject): Dimension {
  const found = dimensionOf(mergeSchema(emptySchema(table, dialect), observe(body)).schema);
  if (found === undefined) throw new Error(`${table} keeps no dimension`);
  return found;
}

const WHOLE = "ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING";

describe("Redshift dimension SQL", () => {
  const users = dimension("_e_user__identifies", "redshift", { userId: "u1", traits: { plan: "pro" } });

  it("merges a load: its rows, the late entities, their next rows, then delete and insert them", () => {
    expect(redshiftMergeSql("acme", users)).toEqual([
      [
        `CREATE TEMP TABLE "_sz_dim_rows" AS`,
        `SELECT "_sz_enid" AS "_sz_key", "_sz_ts", "_sz_id", "traits__plan" FROM "acme"."_e_user__identifies"`,
        `WHERE "_sz_id" IN (SELECT "_sz_id" FROM "_sz_stage") AND "_sz_enid" IS NOT NULL`,
      ].join("\n"),
      [
        `CREATE TEMP TABLE "_sz_dim_late" AS`,
        `SELECT DISTINCT r."_sz_key" FROM "_sz_dim_rows" r JOIN "acme"."_d_user" d ON d."_sz_enid" = r."_sz_key"`,
        `WHERE NOT (r."_sz_ts" > d."_sz_ts" OR (r."_sz_ts" = d."_sz_ts" AND r."_sz_id" > d."_sz_id"))`,
      ].join("\n"),
      [
        `CREATE TEMP TABLE "_sz_dim_next" AS`,
        `SELECT w."_sz_key", w."_sz_ts", w."_sz_id", CASE WHEN w."_sz_late" THEN w."traits__plan" ELSE COALESCE(w."traits__plan", d."traits__plan") END AS "traits__plan"`,
        `FROM (`,
        `SELECT "_sz_key", "_sz_ts", "_sz_id", "_sz_late", LAST_VALUE("traits__plan") IGNORE NULLS OVER (PARTITION BY "_sz_key" ORDER BY "_sz_ts", "_sz_id" ${WHOLE}) AS "traits__plan",`,
        `  ROW_NUMBER() OVER (PARTITION BY "_sz_key" ORDER BY "_sz_ts" DESC, "_sz_id" DESC) AS "_sz_rn"`,
        `FROM (SELECT "_sz_key", "_sz_ts", "_sz_id", "traits__plan", false AS "_sz_late" FROM "_sz_dim_rows" WHERE "_sz_key" NOT IN (SELECT "_sz_key" FROM "_sz_dim_late")`,
        `  UNION ALL`,
        `  SELECT "_sz_enid", "_sz_ts", "_sz_id", "traits__plan", true FROM "acme"."_e_user__identifies" WHERE "_sz_enid" IN (SELECT "_sz_key" FROM "_sz_dim_late")) s`,
        `) w LEFT JOIN "acme"."_d_user" d ON d."_sz_enid" = w."_sz_key"`,
        `WHERE w."_sz_rn" = 1`,
      ].join("\n"),
      `DELETE FROM "acme"."_d_user" WHERE "_sz_enid" IN (SELECT "_sz_key" FROM "_sz_dim_next")`,
      `INSERT INTO "acme"."_d_user" ("_sz_enid", "_sz_ts", "_sz_id", "traits__plan") SELECT "_sz_key", "_sz_ts", "_sz_id", "traits__plan" FROM "_sz_dim_next"`,
      `DROP TABLE "_sz_dim_rows", "_sz_dim_late", "_sz_dim_next"`,
    ]);
  });

  it("fills a new dimension table from the whole event table, replacing what it holds", () => {
    expect(redshiftBackfillSql("acme", users)).toEqual([
      `DELETE FROM "acme"."_d_user"`,
      [
        `INSERT INTO "acme"."_d_user" ("_sz_enid", "_sz_ts", "_sz_id", "traits__plan")`,
        `SELECT "_sz_key", "_sz_ts", "_sz_id", "traits__plan" FROM (`,
        `SELECT "_sz_key", "_sz_ts", "_sz_id", LAST_VALUE("traits__plan") IGNORE NULLS OVER (PARTITION BY "_sz_key" ORDER BY "_sz_ts", "_sz_id" ${WHOLE}) AS "traits__plan",`,
        `  ROW_NUMBER() OVER (PARTITION BY "_sz_key" ORDER BY "_sz_ts" DESC, "_sz_id" DESC) AS "_sz_rn"`,
        `FROM (SELECT "_sz_enid" AS "_sz_key", "_sz_ts", "_sz_id", "traits__plan" FROM "acme"."_e_user__identifies" WHERE "_sz_enid" IS NOT NULL) s`,
        `) w WHERE w."_sz_rn" = 1`,
      ].join("\n"),
    ]);
  });

  it("keys a groups dimension on group_id, and needs no trait to be valid", () => {
    const groups = dimension("_e_account__groups", "redshift", { groupId: 7 });
    const sql = redshiftMergeSql("acme", groups).join(";\n");
    expect(sql).toContain(`SELECT "group_id" AS "_sz_key", "_sz_ts", "_sz_id" FROM "acme"."_e_account__groups"`);
    expect(sql).toContain(`DELETE FROM "acme"."_d_account__groups" WHERE "group_id" IN (SELECT "_sz_key" FROM "_sz_dim_next")`);
    expect(sql).toContain(`SELECT w."_sz_key", w."_sz_ts", w."_sz_id"\nFROM (`);
    expect(sql).not.toMatch(/, ,|,\s*\)|\(\s*,|, FROM/);
  });
});

describe("Postgres dimension SQL", () => {
  const users = dimension("_e_user__identifies", "postgres", { userId: "u1", traits: { plan: "pro" } });

  it("inserts the staged rows and merges the new ones in one statement that counts what the event table gained", () => {
    const sql = postgresStagedLoadSql("acme", users, ["_sz_id", "_sz_ts", "_sz_enid", "traits__plan"]);
    expect(sql.split("\n").slice(0, 4)).toEqual([
      `WITH "_sz_new" AS (`,
      `  INSERT INTO "acme"."_e_user__identifies" ("_sz_id", "_sz_ts", "_sz_enid", "traits__plan") SELECT "_sz_id", "_sz_ts", "_sz_enid", "traits__plan" FROM "_sz_stage" ORDER BY "_sz_ord"`,
      `  ON CONFLICT ("_sz_id") DO NOTHING`,
      `  RETURNING "_sz_enid" AS "_sz_key", "_sz_ts", "_sz_id", "traits__plan"`,
    ]);
    // Ties on time go to the larger id in byte order, whatever the database's collation.
    expect(sql).toContain(`WHERE NOT (r."_sz_ts" > d."_sz_ts" OR (r."_sz_ts" = d."_sz_ts" AND r."_sz_id" COLLATE "C" > d."_sz_id" COLLATE "C"))`);
    expect(sql).toContain(`(array_agg("traits__plan" ORDER BY "_sz_ts" DESC, "_sz_id" COLLATE "C" DESC) FILTER (WHERE "traits__plan" IS NOT NULL))[1] AS "traits__plan"`);
    expect(sql).toContain(`CASE WHEN r."_sz_late" THEN r."traits__plan" ELSE COALESCE(r."traits__plan", d."traits__plan") END`);
    expect(sql).toContain(`ON CONFLICT ("_sz_enid") DO UPDATE SET "_sz_ts" = EXCLUDED."_sz_ts", "_sz_id" = EXCLUDED."_sz_id", "traits__plan" = EXCLUDED."traits__plan"`);
    expect(sql.split("\n").at(-1)).toBe(`SELECT count(*) AS inserted FROM "_sz_new"`);
  });

  it("fills a new dimension table from the event table, and indexes the event table on the key under a name of the pipeline's", () => {
    expect(postgresBackfillSql("acme", users)).toMatch(/^INSERT INTO "acme"\."_d_user" \("_sz_enid", "_sz_ts", "_sz_id", "traits__plan"\)\nSELECT "_sz_enid", .*\nFROM "acme"\."_e_user__identifies" WHERE "_sz_enid" IS NOT NULL GROUP BY "_sz_enid"\nON CONFLICT \("_sz_enid"\) DO UPDATE SET /);
    expect(postgresKeyIndexSql("acme", users)).toMatch(/^CREATE INDEX IF NOT EXISTS "_sz_dk_[0-9a-f]{16}" ON "acme"\."_e_user__identifies" \("_sz_enid"\)$/);
  });
});
