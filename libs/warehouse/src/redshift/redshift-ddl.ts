/**
 * Redshift DDL.
 *
 * Redshift can change a column's type only to resize a VARCHAR, and that ALTER cannot run in a
 * transaction block. Every other widening is add-copy-rename in one transaction: add the wider
 * column under a temporary name, copy the old values converted, drop the old column, rename.
 * The widened column then sits last in the physical table; loads name their columns, and the
 * schema's column order (and so the Avro field order) is unchanged.
 *
 * Redshift has no ADD COLUMN IF NOT EXISTS, so ADD COLUMN runs alone and "already exists"
 * (42701) counts as success. Conversions assume the session time zone is UTC, Redshift's default.
 */
import { quoteIdent } from "@schematizer/postgres";
import { isTextual, nameHash, NOT_NULL_SYSTEM_COLUMNS, REDSHIFT_VARCHAR_MAX, SYSTEM_COLUMNS, type Column, type ColumnType, type TableSchema } from "@schematizer/schema";
import { assertEvolution, DUPLICATE_COLUMN, qualifiedTable, type DdlOptions, type DdlStatement } from "../ddl.ts";

/** Redshift type of a column. */
export function redshiftType(column: Pick<Column, "name" | "type" | "maxBytes">): string {
  // SUPER holds up to 16 MB, more than any VARCHAR; this column must take what did not fit elsewhere.
  if (column.name === SYSTEM_COLUMNS.unmapped) return "SUPER";
  switch (column.type) {
    case "boolean":
      return "BOOLEAN";
    case "bigint":
      return "BIGINT";
    case "double":
      return "DOUBLE PRECISION";
    case "decimal":
      return "DECIMAL(38,0)";
    case "varchar":
    case "json":
      return `VARCHAR(${column.maxBytes ?? REDSHIFT_VARCHAR_MAX})`;
    case "timestamptz":
      return "TIMESTAMPTZ";
    case "date":
      return "DATE";
  }
}

/**
 * The Redshift statements from `prev` (null or version 0: no table yet) to `next`.
 *
 * @example
 * ```ts
 * planRedshift(v1, v2, { schema: "acme" });
 * // [ { sql: 'ALTER TABLE "acme"."_e_user__pass_mission" ADD COLUMN "score" DOUBLE PRECISION', transactional: false, ignoreSqlState: "42701" },
 * //   { sql: 'ALTER TABLE "acme"."_e_user__pass_mission" ALTER COLUMN "name" TYPE VARCHAR(1024)', transactional: false },
 * //   …add-copy-rename of "level" to DOUBLE PRECISION, four transactional statements ]
 * ```
 */
export function planRedshift(prev: TableSchema | null, next: TableSchema, options: DdlOptions = {}): DdlStatement[] {
  if (next.dialect !== "redshift") throw new Error(`planRedshift given a ${next.dialect} schema`);
  assertEvolution(prev, next);
  const table = qualifiedTable(next, options);
  if (prev === null || prev.version === 0) return [createTable(table, next)];

  const old = new Map(prev.columns.map((c) => [c.name, c]));
  const adds: DdlStatement[] = [];
  const resizes: DdlStatement[] = [];
  const rewrites: DdlStatement[] = [];
  for (const column of next.columns) {
    const before = old.get(column.name);
    if (before === undefined) {
      adds.push({
        sql: `ALTER TABLE ${table} ADD COLUMN ${quoteIdent(column.name)} ${redshiftType(column)}`,
        transactional: false,
        ignoreSqlState: DUPLICATE_COLUMN,
      });
    } else if (redshiftType(before) !== redshiftType(column)) {
      if (isTextual(before.type) && isTextual(column.type)) {
        resizes.push({
          sql: `ALTER TABLE ${table} ALTER COLUMN ${quoteIdent(column.name)} TYPE ${redshiftType(column)}`,
          transactional: false,
        });
      } else {
        rewrites.push(...addCopyRename(table, before, column));
      }
    }
  }
  return [...adds, ...resizes, ...rewrites];
}

function createTable(table: string, schema: TableSchema): DdlStatement {
  const lines = schema.columns.map((c) => {
    const notNull = NOT_NULL_SYSTEM_COLUMNS.has(c.name) ? " NOT NULL" : "";
    return `  ${quoteIdent(c.name)} ${redshiftType(c)}${notNull}`;
  });
  return {
    sql: `CREATE TABLE IF NOT EXISTS ${table} (\n${lines.join(",\n")}\n)\nDISTSTYLE AUTO\nSORTKEY (${quoteIdent(SYSTEM_COLUMNS.ts)})`,
    transactional: true,
  };
}

/** Old values converted to the wider type, keeping every value. */
function conversion(column: string, from: ColumnType, target: string): string {
  const c = quoteIdent(column);
  if (from === "boolean") return `CASE WHEN ${c} THEN 'true' WHEN NOT ${c} THEN 'false' END`;
  if (from === "timestamptz" && target.startsWith("VARCHAR")) {
    return `TO_CHAR(${c} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
  }
  if (from === "date" && target.startsWith("VARCHAR")) return `TO_CHAR(${c}, 'YYYY-MM-DD')`;
  return `CAST(${c} AS ${target})`;
}

function addCopyRename(table: string, before: Column, after: Column): DdlStatement[] {
  const column = quoteIdent(after.name);
  const temp = quoteIdent(`_sz_w_${nameHash(after.name)}`);
  const target = redshiftType(after);
  return [
    `ALTER TABLE ${table} ADD COLUMN ${temp} ${target}`,
    `UPDATE ${table} SET ${temp} = ${conversion(after.name, before.type, target)}`,
    `ALTER TABLE ${table} DROP COLUMN ${column}`,
    `ALTER TABLE ${table} RENAME COLUMN ${temp} TO ${column}`,
  ].map((sql) => ({ sql, transactional: true }));
}
