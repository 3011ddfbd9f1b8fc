/**
 * The DDL plan for a schema's own dialect.
 */
import type { TableSchema } from "@schematizer/schema";
import type { DdlOptions, DdlStatement } from "./ddl.ts";
import { planPostgres } from "./postgres/postgres-ddl.ts";
import { planRedshift } from "./redshift/redshift-ddl.ts";

/**
 * The statements that bring the warehouse table from `prev` (null or version 0 when the table
 * does not exist) to `next`, in `next`'s dialect. See {@link DdlStatement} for how to run them.
 *
 * @example
 * ```ts
 * for (const statement of planDdl(stored, latest, { schema: "acme" })) await runner.run(statement);
 * ```
 */
export function planDdl(prev: TableSchema | null, next: TableSchema, options: DdlOptions = {}): DdlStatement[] {
  return next.dialect === "postgres" ? planPostgres(prev, next, options) : planRedshift(prev, next, options);
}
