/**
 * Postgres DDL. Postgres DDL is transactional, so the whole plan can run in one transaction;
 * every statement is also idempotent on its own: CREATE TABLE and ADD COLUMN use IF NOT EXISTS,
 * and each widening checks the column's current type in the catalog first.
 */
import { quoteIdent, quoteLiteral } from "@schematizer/postgres";
import { NOT_NULL_SYSTEM_COLUMNS, SYSTEM_COLUMNS, type Column, type ColumnType, type TableSchema } from "@schematizer/schema";
import { assertEvolution, qualifiedTable, type DdlOptions, type DdlStatement } from "../ddl.ts";

/** Postgres type of each column type, spelled as `format_type` reports it. */
export const POSTGRES_TYPES: Readonly<Record<ColumnType, string>> = {
  boolean: "boolean",
  bigint: "bigint",
  double: "double precision",
  decimal: "numeric(38,0)",
  varchar: "text",
  timestamptz: "timestamp with time zone",
  date: "date",
  json: "jsonb",
};

function postgresType(column: Column): string {
  // json, not jsonb: jsonb refuses \u0000 and lone surrogates, and this column must hold anything.
  if (column.name === SYSTEM_COLUMNS.unmapped) return "json";
  return POSTGRES_TYPES[column.type];
}

/**
 * The Postgres statements from `prev` (null or version 0: no table yet) to `next`.
 *
 * @example
 * ```ts
 * planPostgres(v1, v2, { schema: "acme" });
 * // [ { sql: 'ALTER TABLE "acme"."_e_user__pass_mission" ADD COLUMN IF NOT EXISTS "score" double precision', transactional: true },
 * //   { sql: 'DO $sz$ … ALTER COLUMN "level" TYPE double precision USING "level"::double precision … $sz$', transactional: true } ]
 * ```
 */
export function planPostgres(prev: TableSchema | null, next: TableSchema, options: DdlOptions = {}): DdlStatement[] {
  if (next.dialect !== "postgres") throw new Error(`planPostgres given a ${next.dialect} schema`);
  assertEvolution(prev, next);
  const table = qualifiedTable(next, options);
  if (prev === null || prev.version === 0) return [createTable(table, next, options.primaryKey ?? SYSTEM_COLUMNS.id)];

  const old = new Map(prev.columns.map((c) => [c.name, c]));
  const statements: DdlStatement[] = [];
  for (const column of next.columns) {
    const before = old.get(column.name);
    if (before === undefined) {
      statements.push({
        sql: `ALTER TABLE ${table} ADD COLUMN IF NOT EXISTS ${quoteIdent(column.name)} ${postgresType(column)}`,
        transactional: true,
      });
    } else if (before.type !== column.type) {
      statements.push(widen(table, column.name, before.type, column.type));
    }
  }
  return statements;
}

function createTable(table: string, schema: TableSchema, primaryKey: string): DdlStatement {
  const lines = schema.columns.map((c) => {
    const notNull = NOT_NULL_SYSTEM_COLUMNS.has(c.name) ? " NOT NULL" : "";
    return `  ${quoteIdent(c.name)} ${postgresType(c)}${notNull}`;
  });
  // On `_sz_id` (the default), the primary key makes a replayed load skip rows it already stored.
  lines.push(`  PRIMARY KEY (${quoteIdent(primaryKey)})`);
  return { sql: `CREATE TABLE IF NOT EXISTS ${table} (\n${lines.join(",\n")}\n)`, transactional: true };
}

/** How old values become the wider type; every conversion keeps the value. */
function usingExpression(column: string, from: ColumnType, to: ColumnType): string {
  const c = quoteIdent(column);
  if (to === "varchar") {
    // Text of instants and dates must not depend on the session's TimeZone or DateStyle.
    if (from === "timestamptz") return `to_char(${c} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
    if (from === "date") return `to_char(${c}, 'YYYY-MM-DD')`;
    return `${c}::text`;
  }
  if (to === "timestamptz") return `(${c}::timestamp AT TIME ZONE 'UTC')`;
  return `${c}::${POSTGRES_TYPES[to]}`;
}

function widen(table: string, column: string, from: ColumnType, to: ColumnType): DdlStatement {
  const fromType = POSTGRES_TYPES[from];
  const toType = POSTGRES_TYPES[to];
  const sql = [
    "DO $sz$",
    "DECLARE current_type text;",
    "BEGIN",
    "  SELECT format_type(a.atttypid, a.atttypmod) INTO current_type",
    "    FROM pg_attribute a",
    `   WHERE a.attrelid = ${quoteLiteral(table)}::regclass AND a.attname = ${quoteLiteral(column)} AND NOT a.attisdropped;`,
    `  IF current_type = ${quoteLiteral(fromType)} THEN`,
    `    ALTER TABLE ${table} ALTER COLUMN ${quoteIdent(column)} TYPE ${toType} USING ${usingExpression(column, from, to)};`,
    `  ELSIF current_type IS DISTINCT FROM ${quoteLiteral(toType)} THEN`,
    `    RAISE EXCEPTION 'column % of % has type %, expected % or %', ${quoteLiteral(column)}, ${quoteLiteral(table)}, current_type, ${quoteLiteral(fromType)}, ${quoteLiteral(toType)};`,
    "  END IF;",
    "END",
    "$sz$",
  ].join("\n");
  if (sql.slice(5, -5).includes("$sz$")) throw new Error(`cannot quote the widening of ${column} in ${table}`);
  return { sql, transactional: true };
}
