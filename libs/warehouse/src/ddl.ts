/**
 * DDL plans: the statements that bring a warehouse table from one schema version to another, as
 * data (postgres/postgres-ddl.ts, redshift/redshift-ddl.ts). Each dialect's load runs its plans.
 */
import { quoteIdent } from "@schematizer/postgres";
import { isWithin, type TableSchema } from "@schematizer/schema";

/**
 * One statement of a plan.
 *
 * Runner contract:
 * - Each maximal run of consecutive `transactional` statements runs in one transaction, so it
 *   applies entirely or not at all. The runner records its progress through the plan inside
 *   that same transaction, so a committed run is never repeated.
 * - A statement with `transactional: false` runs alone, outside any transaction block, and is
 *   idempotent: re-running it after a crash is harmless.
 * - A statement that fails with its `ignoreSqlState` has succeeded (the change is already
 *   there). Such statements are never transactional, as a failed statement aborts its transaction.
 * Under this contract, replaying a plan after a crash at any point is harmless. (Postgres plans
 * go further: every statement checks the catalog, so a whole plan can be re-run at any time.)
 */
export interface DdlStatement {
  readonly sql: string;
  readonly transactional: boolean;
  readonly ignoreSqlState?: string;
}

/** Where the table lives. */
export interface DdlOptions {
  /** Warehouse schema (one per app); unqualified names resolve through the search path when absent. */
  readonly schema?: string;
  /**
   * Postgres only: the column a new table is keyed on (default `_sz_id`, which makes a replayed
   * load skip the rows it stored already). A dimension table is keyed on its entity instead.
   */
  readonly primaryKey?: string;
}

/** SQLSTATE duplicate_column. */
export const DUPLICATE_COLUMN = "42701";

/** The table's quoted, optionally schema-qualified name. */
export function qualifiedTable(schema: TableSchema, options: DdlOptions): string {
  return options.schema === undefined
    ? quoteIdent(schema.table)
    : `${quoteIdent(options.schema)}.${quoteIdent(schema.table)}`;
}

/**
 * Checks that `next` evolves `prev`: same table and dialect, no column dropped, no type
 * narrowed. Plans are computed off the per-event path, from versions the registry vouches for,
 * so a violation is a bug and throws.
 */
export function assertEvolution(prev: TableSchema | null, next: TableSchema): void {
  if (next.version < 1) throw new Error(`cannot plan DDL for version ${next.version} of ${next.table}`);
  if (prev === null || prev.version === 0) return;
  if (prev.table !== next.table || prev.dialect !== next.dialect) {
    throw new Error(`cannot plan ${prev.dialect} ${prev.table} → ${next.dialect} ${next.table}`);
  }
  const byName = new Map(next.columns.map((c) => [c.name, c]));
  for (const old of prev.columns) {
    const now = byName.get(old.name);
    if (now === undefined) throw new Error(`${next.table} v${next.version} drops column ${old.name}`);
    if (!isWithin(old.type, now.type) || (now.maxBytes ?? Infinity) < (old.maxBytes ?? 0)) {
      throw new Error(`${next.table} v${next.version} narrows column ${old.name}`);
    }
  }
}
