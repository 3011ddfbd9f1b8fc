/**
 * What the integration tests that run DDL plans and rows against a real Postgres share.
 */
import { inTransaction } from "@schematizer/postgres";
import { cellText, type Row, type TableSchema } from "@schematizer/schema";
import type { Pool } from "pg";
import { expect } from "vitest";
import type { DdlStatement } from "../ddl.ts";

/** Runs a plan the way a loader does: consecutive transactional statements in one transaction. */
export async function runPlan(pool: Pool, plan: readonly DdlStatement[]): Promise<void> {
  await inTransaction(pool, async (client) => {
    for (const statement of plan) {
      expect(statement.transactional).toBe(true);
      await client.query(statement.sql);
    }
  });
}

/** Inserts a row as a load does: every cell as its warehouse text. */
export async function insertRow(pool: Pool, schema: TableSchema, row: Row): Promise<void> {
  const names = schema.columns.map((c) => `"${c.name}"`).join(", ");
  const params = schema.columns.map((_, i) => `$${i + 1}`).join(", ");
  await pool.query(`INSERT INTO "${schema.table}" (${names}) VALUES (${params})`, schema.columns.map((c, i) => cellText(c, row.values[i] ?? null)));
}
