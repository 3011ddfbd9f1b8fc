/**
 * The bookkeeping tables (../bookkeeping.ts) on Postgres: their column types, and how a table's
 * applied version is written, in the load's transaction like the DDL that brought it there.
 */
import { quoteIdent } from "@schematizer/postgres";
import type pg from "pg";
import type { BookkeepingTypes } from "../bookkeeping.ts";

export const POSTGRES_BOOKKEEPING: BookkeepingTypes = {
  types: { key: "text", name: "text", integer: "integer", bigint: "bigint", timestamp: "timestamptz" },
  now: "now()",
};

/**
 * Records that `table` is at `version` (registry id `schemaId`).
 *
 * @example
 * ```ts
 * await setTableVersion(client, "acme", "_e_user__login", 3, 42);
 * ```
 */
export async function setTableVersion(client: pg.ClientBase, schema: string, table: string, version: number, schemaId: number): Promise<void> {
  await client.query(
    `INSERT INTO ${quoteIdent(schema)}."_sz_tables" (table_name, version, schema_id) VALUES ($1, $2, $3)
     ON CONFLICT (table_name) DO UPDATE SET version = EXCLUDED.version, schema_id = EXCLUDED.schema_id, updated_at = now()`,
    [table, version, schemaId],
  );
}
