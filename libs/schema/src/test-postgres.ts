/**
 * Helpers for the integration tests that run DDL plans and rows against a real Postgres.
 */
import type { Pool } from "pg";
import { expect } from "vitest";
import type { Row } from "./coerce.ts";
import type { DdlStatement } from "./ddl.ts";
import type { TableSchema } from "./schema.ts";
import { cellText } from "./warehouse-text.ts";

/** Runs a plan the way a loader does: consecutive transactional statements in one transaction. */
export async function runPlan(pool: Pool, plan: readonly DdlStatement[]): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    for (const statement of plan) {
      expect(statement.transactional).toBe(true);
      await client.query(statement.sql);
    }
    await client.query("COMMIT");
  } catch (error) {
    await client.query("ROLLBACK");
    throw error;
  } finally {
    client.release();
  }
}

/** Inserts a row as a load does: every cell as its warehouse text. */
export async function insertRow(pool: Pool, schema: TableSchema, row: Row): Promise<void> {
  const names = schema.columns.map((c) => `"${c.name}"`).join(", ");
  const params = schema.columns.map((_, i) => `$${i + 1}`).join(", ");
  await pool.query(`INSERT INTO "${schema.table}" (${names}) VALUES (${params})`, schema.columns.map((c, i) => cellText(c, row.values[i] ?? null)));
}
