import { describe, expect, it } from "vitest";
import { emptySchema, mergeSchema, observe, type JsonObject, type TableSchema } from "@schematizer/schema";
import { planDdl } from "../ddl-plan.ts";
import { planPostgres } from "./postgres-ddl.ts";

function evolve(schema: TableSchema, ...bodies: JsonObject[]): TableSchema {
  for (const body of bodies) schema = mergeSchema(schema, observe(body)).schema;
  return schema;
}

const v0 = emptySchema("_e_user__pass_mission", "postgres");
const v1 = evolve(v0, { level: 7, isPremium: false, tags: ["a"] });

describe("planPostgres", () => {
  it("creates the table with every column, system columns NOT NULL, the id as primary key", () => {
    expect(planPostgres(null, v1, { schema: "acme" })).toEqual([
      {
        sql: [
          'CREATE TABLE IF NOT EXISTS "acme"."_e_user__pass_mission" (',
          '  "_sz_id" text NOT NULL,',
          '  "_sz_ts" timestamp with time zone NOT NULL,',
          '  "_sz_enid" text,',
          '  "_sz_received_at" timestamp with time zone NOT NULL,',
          '  "_sz_version" bigint NOT NULL,',
          '  "_sz_unmapped" json,',
          '  "is_premium" boolean,',
          '  "level" bigint,',
          '  "tags" jsonb,',
          '  PRIMARY KEY ("_sz_id")',
          ")",
        ].join("\n"),
        transactional: true,
      },
    ]);
    expect(planPostgres(v0, v1)).toEqual(planPostgres(null, v1));
    expect(planPostgres(null, v1)[0]?.sql).toMatch(/^CREATE TABLE IF NOT EXISTS "_e_user__pass_mission" \(/);
  });


  it("keys a new table on another column when asked (a dimension table on its entity)", () => {
    const sql = planPostgres(null, v1, { schema: "acme", primaryKey: "_sz_enid" })[0]?.sql ?? "";
    expect(sql.split("\n").at(-2)).toBe('  PRIMARY KEY ("_sz_enid")');
    // Only a new table has a key to choose; later versions add and widen columns alike.
    const v2 = evolve(v1, { score: 1.5 });
    expect(planPostgres(v1, v2, { primaryKey: "_sz_enid" })).toEqual(planPostgres(v1, v2));
  });
  it("adds one column per statement, idempotently", () => {
    const v2 = evolve(v1, { score: 1.5, at: "2015-01-01" });
    expect(planPostgres(v1, v2, { schema: "acme" })).toEqual([
      { sql: 'ALTER TABLE "acme"."_e_user__pass_mission" ADD COLUMN IF NOT EXISTS "at" date', transactional: true },
      { sql: 'ALTER TABLE "acme"."_e_user__pass_mission" ADD COLUMN IF NOT EXISTS "score" double precision', transactional: true },
    ]);
  });

  it("widens in place behind a catalog check, so a re-run is a no-op", () => {
    const v2 = evolve(v1, { level: 2.5 });
    expect(planPostgres(v1, v2, { schema: "acme" })).toEqual([
      {
        sql: [
          "DO $sz$",
          "DECLARE current_type text;",
          "BEGIN",
          "  SELECT format_type(a.atttypid, a.atttypmod) INTO current_type",
          "    FROM pg_attribute a",
          `   WHERE a.attrelid = '"acme"."_e_user__pass_mission"'::regclass AND a.attname = 'level' AND NOT a.attisdropped;`,
          "  IF current_type = 'bigint' THEN",
          '    ALTER TABLE "acme"."_e_user__pass_mission" ALTER COLUMN "level" TYPE double precision USING "level"::double precision;',
          "  ELSIF current_type IS DISTINCT FROM 'double precision' THEN",
          `    RAISE EXCEPTION 'column % of % has type %, expected % or %', 'level', '"acme"."_e_user__pass_mission"', current_type, 'bigint', 'double precision';`,
          "  END IF;",
          "END",
          "$sz$",
        ].join("\n"),
        transactional: true,
      },
    ]);
  });

  it("converts each widening without loss, independent of the session's time zone", () => {
    const using = (from: JsonObject, to: JsonObject): string => {
      const a = evolve(v0, from);
      const sql = planPostgres(a, evolve(a, to))[0]?.sql ?? "";
      return /TYPE (.*);\n/.exec(sql)?.[1] ?? sql;
    };
    expect(using({ c: 1 }, { c: 12345678901234567890n })).toBe('numeric(38,0) USING "c"::numeric(38,0)');
    expect(using({ c: 1 }, { c: "x" })).toBe('text USING "c"::text');
    expect(using({ c: true }, { c: "x" })).toBe('text USING "c"::text');
    expect(using({ c: ["a"] }, { c: "x" })).toBe('text USING "c"::text');
    expect(using({ c: "2015-01-01T00:31:32Z" }, { c: "x" })).toBe(
      `text USING to_char("c" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`,
    );
    expect(using({ c: "2015-01-01" }, { c: "x" })).toBe(`text USING to_char("c", 'YYYY-MM-DD')`);
    expect(using({ c: "2015-01-01" }, { c: "2015-01-01T00:31:32Z" })).toBe(
      `timestamp with time zone USING ("c"::timestamp AT TIME ZONE 'UTC')`,
    );
  });

  it("quotes every identifier, including odd schema names", () => {
    const plan = planPostgres(null, v1, { schema: 'we"ird' });
    expect(plan[0]?.sql).toContain('CREATE TABLE IF NOT EXISTS "we""ird"."_e_user__pass_mission"');
    for (const column of v1.columns) expect(plan[0]?.sql).toContain(`"${column.name}" `);
  });

  it("does nothing when nothing changed, and refuses plans that would narrow or drop", () => {
    expect(planPostgres(v1, v1)).toEqual([]);
    const v2 = evolve(v1, { level: 2.5 });
    expect(() => planPostgres(v2, v1)).toThrow("narrows column level");
    expect(() => planPostgres(v1, { ...v1, columns: v1.columns.slice(0, -1) })).toThrow("drops column tags");
    expect(() => planPostgres(null, emptySchema("_e_a__b", "redshift"))).toThrow("planPostgres given a redshift schema");
  });

  it("is what planDdl returns for a Postgres schema", () => {
    expect(planDdl(null, v1)).toEqual(planPostgres(null, v1));
  });
});
