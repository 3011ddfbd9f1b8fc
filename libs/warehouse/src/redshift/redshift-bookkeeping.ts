/**
 * The bookkeeping tables (../bookkeeping.ts) on Redshift: their column types, and the progress a
 * table's DDL plan has made (`_sz_tables.plan_schema_id`, `plan_step`), which Redshift needs since
 * part of a plan runs outside any transaction (redshift-evolve.ts).
 */
import { quoteIdent } from "@schematizer/postgres";
import type pg from "pg";
import type { BookkeepingTypes } from "../bookkeeping.ts";

export const REDSHIFT_BOOKKEEPING: BookkeepingTypes = {
  types: { key: "VARCHAR(1024)", name: "VARCHAR(127)", integer: "INTEGER", bigint: "BIGINT", timestamp: "TIMESTAMPTZ" },
  now: "SYSDATE",
};

/** A table's row of `_sz_tables`: its version, and the plan under way towards `plan_schema_id`. */
export interface PlanProgress {
  readonly version: number;
  readonly schema_id: number;
  readonly plan_schema_id: number | null;
  readonly plan_step: number | null;
}

/**
 * A table's progress, or undefined when no plan for it has begun.
 *
 * @example
 * ```ts
 * await progressOf(client, "acme", "_e_user__login"); // { version: 2, schema_id: 41, plan_schema_id: 42, plan_step: 1 }
 * ```
 */
export async function progressOf(client: pg.ClientBase, schema: string, table: string): Promise<PlanProgress | undefined> {
  const { rows } = await client.query<PlanProgress>(
    `SELECT version, schema_id, plan_schema_id, plan_step FROM ${quoteIdent(schema)}."_sz_tables" WHERE table_name = $1`,
    [table],
  );
  return rows[0];
}

/**
 * Writes a table's progress, inside the caller's transaction (Redshift has no upsert).
 *
 * @example
 * ```ts
 * await inTransaction(client, () => saveProgress(client, "acme", "_e_user__login", { version: 3, schema_id: 42, plan_schema_id: null, plan_step: null }));
 * ```
 */
export async function saveProgress(client: pg.ClientBase, schema: string, table: string, p: PlanProgress): Promise<void> {
  const t = `${quoteIdent(schema)}."_sz_tables"`;
  await client.query(`DELETE FROM ${t} WHERE table_name = $1`, [table]);
  await client.query(`INSERT INTO ${t} (table_name, version, schema_id, plan_schema_id, plan_step) VALUES ($1, $2, $3, $4, $5)`, [
    table,
    p.version,
    p.schema_id,
    p.plan_schema_id,
    p.plan_step,
  ]);
}
