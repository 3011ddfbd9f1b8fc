/**
 * What the SQL that keeps a dimension table (dimension-tables.ts) in the load's transaction shares
 * between the warehouses: its names and fragments. The statements themselves are each dialect's
 * (postgres/postgres-dimension.ts, redshift/redshift-dimension.ts), pure functions of their inputs
 * so the text can be checked without a cluster (dimension-sql.test.ts). Each does what
 * dimension-rule.ts's `mergeLoad` does:
 *
 * 1. L: the event table's rows this load brought, with a key.
 * 2. Late keys: entities with a row in L at or before their dimension row's watermark
 *    (`_sz_ts`, then `_sz_id` in byte order).
 * 3. For the others, each trait's latest non-null value in L, else the dimension's own; for late
 *    keys, each trait's latest non-null value over all the entity's rows in the event table.
 * 4. Those rows replace the entities' rows.
 */
import { quoteIdent } from "@schematizer/postgres";
import { SYSTEM_COLUMNS } from "@schematizer/schema";
import type { Dimension } from "./dimension-tables.ts";

/** The entity's key, whatever the dimension names it. */
export const KEY = quoteIdent("_sz_key");
/** Whether an entity had a row at or before its watermark. */
export const LATE = quoteIdent("_sz_late");
export const TS = quoteIdent(SYSTEM_COLUMNS.ts);
export const ID = quoteIdent(SYSTEM_COLUMNS.id);

/** The quoted names of a dimension's tables and columns. */
export interface Names {
  readonly source: string;
  readonly table: string;
  readonly key: string;
  readonly traits: readonly string[];
}

/**
 * A dimension's names, quoted and qualified by the app's schema.
 *
 * @example
 * ```ts
 * names("acme", users).table; // '"acme"."_d_user"'
 * ```
 */
export function names(schema: string, dimension: Dimension): Names {
  const s = quoteIdent(schema);
  return {
    source: `${s}.${quoteIdent(dimension.source)}`,
    table: `${s}.${quoteIdent(dimension.table)}`,
    key: quoteIdent(dimension.key),
    traits: dimension.traits.map(quoteIdent),
  };
}

/** `a, b, c` with the leading comma when there is anything to list. */
export function more(items: readonly string[]): string {
  return items.length === 0 ? "" : `, ${items.join(", ")}`;
}

/** `r` later than `d` by (`_sz_ts`, `_sz_id`); the ids compared byte by byte when `collate` says how. */
export function later(r: string, d: string, collate: string): string {
  return `(${r}.${TS} > ${d}.${TS} OR (${r}.${TS} = ${d}.${TS} AND ${r}.${ID}${collate} > ${d}.${ID}${collate}))`;
}
