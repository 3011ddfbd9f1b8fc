/**
 * Runs a Redshift DDL plan under the runner contract of ../ddl.ts: statements that cannot run in
 * a transaction block (VARCHAR resizes, ADD COLUMN) run alone and are idempotent; each run of
 * transactional statements commits together with the plan's progress in `_sz_tables`, so a crash
 * never repeats a committed run, and the next load resumes where it stopped.
 */
import { inTransaction } from "@schematizer/postgres";
import type pg from "pg";
import type { DdlStatement } from "../ddl.ts";
import type { SchemaRef } from "../warehouse.ts";
import { progressOf, saveProgress } from "./redshift-bookkeeping.ts";
import { planRedshift } from "./redshift-ddl.ts";

async function runAlone(client: pg.ClientBase, statement: DdlStatement): Promise<void> {
  try {
    await client.query(statement.sql);
  } catch (error) {
    if ((error as { code?: string }).code !== statement.ignoreSqlState || statement.ignoreSqlState === undefined) throw error;
  }
}

/**
 * Brings the table to `target`, resuming a plan a crash interrupted; nothing when it is there.
 *
 * @example
 * ```ts
 * await evolveRedshiftTable(client, "acme", current, target);
 * ```
 */
export async function evolveRedshiftTable(client: pg.ClientBase, schema: string, current: SchemaRef | undefined, target: SchemaRef): Promise<void> {
  const table = target.schema.table;
  const before = await progressOf(client, schema, table);
  if (before !== undefined && before.version >= target.schema.version) return;
  const plan = planRedshift(current?.schema ?? null, target.schema, { schema });
  let step = before?.plan_schema_id === target.id ? (before.plan_step ?? 0) : 0;
  const base = { version: before?.version ?? 0, schema_id: before?.schema_id ?? target.id, plan_schema_id: target.id };
  while (step < plan.length) {
    const statement = plan[step] as DdlStatement;
    if (!statement.transactional) {
      await runAlone(client, statement);
      step++;
      const done = step;
      await inTransaction(client, () => saveProgress(client, schema, table, { ...base, plan_step: done }));
      continue;
    }
    await inTransaction(client, async () => {
      while (step < plan.length && (plan[step] as DdlStatement).transactional) {
        await client.query((plan[step] as DdlStatement).sql);
        step++;
      }
      await saveProgress(client, schema, table, { ...base, plan_step: step });
    });
  }
  await inTransaction(client, () => saveProgress(client, schema, table, { version: target.schema.version, schema_id: target.id, plan_schema_id: null, plan_step: null }));
}
