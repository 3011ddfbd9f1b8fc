/**
 * The warehouse's bookkeeping tables, in each app's schema, described once for both dialects:
 * - `_sz_loads`: the files loaded, each recorded in the transaction that loads its rows, so a
 *   file found there is never loaded again (load-sequence.ts);
 * - `_sz_tables`: the version each table (event or dimension) was brought to, with its registry
 *   id; on Redshift also how far a DDL plan under way has come (redshift/redshift-evolve.ts).
 *   Postgres runs a whole plan inside the load's transaction, so it has no progress to keep.
 *
 * Each dialect spells the column types (postgres/postgres-bookkeeping.ts,
 * redshift/redshift-bookkeeping.ts); the statements that read and write `_sz_loads` and read
 * `_sz_tables` are the same text on both.
 */
import { quoteIdent } from "@schematizer/postgres";
import type { Dialect } from "@schematizer/schema";
import type pg from "pg";
import type { LoadFile } from "./warehouse.ts";

/** The kinds of column the bookkeeping tables hold. */
export type BookkeepingType = "key" | "name" | "integer" | "bigint" | "timestamp";

/** How a dialect spells each kind, and the default of a timestamp (the time of the write). */
export interface BookkeepingTypes {
  readonly types: Readonly<Record<BookkeepingType, string>>;
  readonly now: string;
}

interface BookkeepingColumn {
  readonly name: string;
  readonly type: BookkeepingType;
  /** Null until set (every other column is NOT NULL). */
  readonly nullable?: boolean;
  /** Kept by one dialect only. */
  readonly only?: Dialect;
}

interface BookkeepingTable {
  readonly name: string;
  readonly primaryKey: string;
  readonly columns: readonly BookkeepingColumn[];
}

export const LOADS_TABLE: BookkeepingTable = {
  name: "_sz_loads",
  primaryKey: "batch_key",
  columns: [
    { name: "batch_key", type: "key" },
    { name: "table_name", type: "name" },
    { name: "version", type: "integer" },
    { name: "rows_in_file", type: "bigint" },
    { name: "rows_inserted", type: "bigint" },
    { name: "loaded_at", type: "timestamp" },
  ],
};

export const TABLES_TABLE: BookkeepingTable = {
  name: "_sz_tables",
  primaryKey: "table_name",
  columns: [
    { name: "table_name", type: "name" },
    { name: "version", type: "integer" },
    { name: "schema_id", type: "integer" },
    { name: "plan_schema_id", type: "integer", nullable: true, only: "redshift" },
    { name: "plan_step", type: "integer", nullable: true, only: "redshift" },
    { name: "updated_at", type: "timestamp" },
  ],
};

/**
 * unique_violation, duplicate_schema, duplicate_table, and duplicate_object (the table's row type,
 * created with it, can be the one that collides).
 */
const ALREADY_EXISTS = new Set(["23505", "42P06", "42P07", "42710"]);

/**
 * The statements that create an app's schema and its bookkeeping tables, idempotently.
 *
 * @example
 * ```ts
 * bookkeepingStatements("redshift", REDSHIFT_BOOKKEEPING, "acme")[1];
 * // CREATE TABLE IF NOT EXISTS "acme"."_sz_loads" (\n  batch_key VARCHAR(1024) NOT NULL, … PRIMARY KEY (batch_key)\n)
 * ```
 */
export function bookkeepingStatements(dialect: Dialect, spelling: BookkeepingTypes, schema: string): string[] {
  const s = quoteIdent(schema);
  const create = (table: BookkeepingTable) => {
    const lines = table.columns
      .filter((c) => c.only === undefined || c.only === dialect)
      .map((c) => `  ${c.name} ${spelling.types[c.type]}${c.nullable === true ? "" : " NOT NULL"}${c.type === "timestamp" ? ` DEFAULT ${spelling.now}` : ""}`);
    lines.push(`  PRIMARY KEY (${table.primaryKey})`);
    return `CREATE TABLE IF NOT EXISTS ${s}.${quoteIdent(table.name)} (\n${lines.join(",\n")}\n)`;
  };
  return [`CREATE SCHEMA IF NOT EXISTS ${s}`, create(LOADS_TABLE), create(TABLES_TABLE)];
}

/**
 * Creates an app's schema and bookkeeping tables unless they exist. IF NOT EXISTS run at the same
 * moment by another process can still collide in the catalog ("already exists", a unique
 * violation): the object exists then.
 *
 * @example
 * ```ts
 * await createBookkeeping(pool, bookkeepingStatements("postgres", POSTGRES_BOOKKEEPING, "acme"));
 * ```
 */
export async function createBookkeeping(pool: pg.Pool, statements: readonly string[]): Promise<void> {
  for (const statement of statements) {
    await pool.query(statement).catch((error: unknown) => {
      if (!ALREADY_EXISTS.has((error as { code?: string }).code ?? "")) throw error;
    });
  }
}

/**
 * The keys among `keys` that `_sz_loads` holds: files an earlier attempt loaded.
 *
 * @example
 * ```ts
 * await loadedKeys(client, "acme", ["loads/acme/…a.csv.gz", "loads/acme/…b.csv.gz"]); // ["loads/acme/…a.csv.gz"]
 * ```
 */
export async function loadedKeys(client: pg.ClientBase, schema: string, keys: readonly string[]): Promise<string[]> {
  const { rows } = await client.query<{ batch_key: string }>(
    `SELECT batch_key FROM ${quoteIdent(schema)}."_sz_loads" WHERE batch_key IN (${keys.map((_, i) => `$${i + 1}`).join(", ")})`,
    [...keys],
  );
  return rows.map((r) => r.batch_key);
}

/**
 * Records loaded files in `_sz_loads`, with the rows each inserted, in the load's transaction.
 *
 * @example
 * ```ts
 * await recordLoads(client, "acme", "_e_user__login", 3, todo, inserted);
 * ```
 */
export async function recordLoads(
  client: pg.ClientBase,
  schema: string,
  table: string,
  version: number,
  files: readonly LoadFile[],
  inserted: ReadonlyMap<string, number>,
): Promise<void> {
  const values = files.map((_, i) => `($${i * 5 + 1}, $${i * 5 + 2}, $${i * 5 + 3}, $${i * 5 + 4}, $${i * 5 + 5})`).join(", ");
  await client.query(
    `INSERT INTO ${quoteIdent(schema)}."_sz_loads" (batch_key, table_name, version, rows_in_file, rows_inserted) VALUES ${values}`,
    files.flatMap((f) => [f.key, table, version, f.rows, inserted.get(f.key) ?? 0]),
  );
}

/**
 * The version a table was brought to, with its registry id; undefined when it does not exist
 * (or, on Redshift, while its first plan is still under way).
 *
 * @example
 * ```ts
 * await tableVersion(pool, "acme", "_e_user__login"); // { version: 3, schemaId: 42 }
 * ```
 */
export async function tableVersion(db: pg.Pool | pg.ClientBase, schema: string, table: string): Promise<{ version: number; schemaId: number } | undefined> {
  const { rows } = await db.query<{ version: number; schema_id: number }>(
    `SELECT version, schema_id FROM ${quoteIdent(schema)}."_sz_tables" WHERE table_name = $1`,
    [table],
  );
  const row = rows[0];
  return row === undefined || row.version === 0 ? undefined : { version: row.version, schemaId: row.schema_id };
}
