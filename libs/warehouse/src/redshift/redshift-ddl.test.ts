import { describe, expect, it } from "vitest";
import { emptySchema, mergeSchema, nameHash, observe, type JsonObject, type TableSchema } from "@schematizer/schema";
import { planDdl } from "../ddl-plan.ts";
import { planRedshift } from "./redshift-ddl.ts";

function evolve(schema: TableSchema, ...bodies: JsonObject[]): TableSchema {
  for (const body of bodies) schema = mergeSchema(schema, observe(body)).schema;
  return schema;
}

const v0 = emptySchema("_e_user__pass_mission", "redshift");
const v1 = evolve(v0, { level: 7, name: "a", tags: ["a"], flag: true });
const T = '"acme"."_e_user__pass_mission"';

describe("planRedshift", () => {
  it("creates the table with sized VARCHARs, SUPER for _sz_unmapped, sorted by event time", () => {
    expect(planRedshift(null, v1, { schema: "acme" })).toEqual([
      {
        sql: [
          `CREATE TABLE IF NOT EXISTS ${T} (`,
          '  "_sz_id" VARCHAR(256) NOT NULL,',
          '  "_sz_ts" TIMESTAMPTZ NOT NULL,',
          '  "_sz_enid" VARCHAR(256),',
          '  "_sz_received_at" TIMESTAMPTZ NOT NULL,',
          '  "_sz_version" BIGINT NOT NULL,',
          '  "_sz_unmapped" SUPER,',
          '  "flag" BOOLEAN,',
          '  "level" BIGINT,',
          '  "name" VARCHAR(256),',
          '  "tags" VARCHAR(256)',
          ")",
          "DISTSTYLE AUTO",
          'SORTKEY ("_sz_ts")',
        ].join("\n"),
        transactional: true,
      },
    ]);
  });

  it("adds each column alone, outside a transaction, with duplicate_column counted as success", () => {
    const v2 = evolve(v1, { score: 1.5, big: 12345678901234567890n });
    expect(planRedshift(v1, v2, { schema: "acme" })).toEqual([
      { sql: `ALTER TABLE ${T} ADD COLUMN "big" DECIMAL(38,0)`, transactional: false, ignoreSqlState: "42701" },
      { sql: `ALTER TABLE ${T} ADD COLUMN "score" DOUBLE PRECISION`, transactional: false, ignoreSqlState: "42701" },
    ]);
  });

  it("resizes a VARCHAR in its own statement outside a transaction", () => {
    const v2 = evolve(v1, { name: "x".repeat(3000), tags: ["y".repeat(500)] });
    expect(planRedshift(v1, v2, { schema: "acme" })).toEqual([
      { sql: `ALTER TABLE ${T} ALTER COLUMN "name" TYPE VARCHAR(4096)`, transactional: false },
      { sql: `ALTER TABLE ${T} ALTER COLUMN "tags" TYPE VARCHAR(1024)`, transactional: false },
    ]);
    // json text becoming varchar of the same size is the same Redshift column.
    expect(planRedshift(v1, evolve(v1, { tags: "plain" }))).toEqual([]);
  });

  it("widens other types by add-copy-rename in one transaction", () => {
    const v2 = evolve(v1, { level: 2.5 });
    const temp = `"_sz_w_${nameHash("level")}"`;
    expect(planRedshift(v1, v2, { schema: "acme" })).toEqual([
      { sql: `ALTER TABLE ${T} ADD COLUMN ${temp} DOUBLE PRECISION`, transactional: true },
      { sql: `UPDATE ${T} SET ${temp} = CAST("level" AS DOUBLE PRECISION)`, transactional: true },
      { sql: `ALTER TABLE ${T} DROP COLUMN "level"`, transactional: true },
      { sql: `ALTER TABLE ${T} RENAME COLUMN ${temp} TO "level"`, transactional: true },
    ]);
  });

  it("converts each widening without loss", () => {
    const copy = (from: JsonObject, to: JsonObject): string => {
      const a = evolve(v0, from);
      const plan = planRedshift(a, evolve(a, to));
      return /SET "[^"]+" = (.*)$/.exec(plan[1]?.sql ?? "")?.[1] ?? JSON.stringify(plan);
    };
    expect(copy({ c: true }, { c: 1 })).toBe(`CASE WHEN "c" THEN 'true' WHEN NOT "c" THEN 'false' END`);
    expect(copy({ c: 1 }, { c: 12345678901234567890n })).toBe('CAST("c" AS DECIMAL(38,0))');
    expect(copy({ c: 1.5 }, { c: "x" })).toBe('CAST("c" AS VARCHAR(256))');
    expect(copy({ c: "2015-01-01T00:31:32Z" }, { c: "x".repeat(300) })).toBe(
      `TO_CHAR("c" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`,
    );
    expect(copy({ c: "2015-01-01" }, { c: "x" })).toBe(`TO_CHAR("c", 'YYYY-MM-DD')`);
    expect(copy({ c: "2015-01-01" }, { c: "2015-01-01T00:31:32Z" })).toBe('CAST("c" AS TIMESTAMPTZ)');
  });

  it("puts ADD COLUMNs first, then resizes, then rewrites, and quotes every identifier", () => {
    const v2 = evolve(v1, { level: "seven", name: "x".repeat(2000), extra: 1 });
    const plan = planDdl(v1, v2);
    expect(plan.map((s) => /^(?:ALTER TABLE \S+ (\w+) COLUMN|(UPDATE))/.exec(s.sql)?.slice(1).join(""))).toEqual([
      "ADD", // extra
      "ALTER", // name: VARCHAR resize
      "ADD", // level: add-copy-rename
      "UPDATE",
      "DROP",
      "RENAME",
    ]);
    for (const statement of plan) expect(statement.sql).not.toMatch(/(COLUMN|TABLE|SET|TO) [a-z_]/);
  });

  it("refuses a Postgres schema", () => {
    expect(() => planRedshift(null, emptySchema("_e_a__b", "postgres"))).toThrow("planRedshift given a postgres schema");
  });
});
