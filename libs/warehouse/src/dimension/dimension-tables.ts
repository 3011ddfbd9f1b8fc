/**
 * Dimension tables ("facts and dimensions"): for every entity that `identify` calls describe
 * (users) or `group` calls describe (groups), one row holding the latest value of each trait.
 * This module says which event tables keep one and what it looks like. Pure.
 *
 * | event table | dimension table | one row per |
 * |---|---|---|
 * | `_e_<entype>__identifies` | `_d_<entype>` (`_d_user`) | `_sz_enid`: the user (or the entity the app chose) |
 * | `_e_<entype>__groups` | `_d_<entype>__groups` (`_d_user__groups`) | `group_id`: the group |
 *
 * Its columns are a projection of the event table's: the key, `_sz_ts` and `_sz_id` of the
 * entity's latest event (the merge's watermark, dimension-rule.ts), and every `traits__*` column
 * under the same name and type. A version of the event table only appends and widens columns,
 * so its projection does too: planPostgres/planRedshift bring the dimension table along, at the
 * event table's version number.
 *
 * The dimension's name is as long as its event table's or shorter, so it always fits the
 * warehouse's limit. An event table whose name was cut and hashed for length has no dimension.
 */
import { SYSTEM_COLUMNS, type Column, type TableSchema } from "@schematizer/schema";

/** Prefix of a dimension table, beside `_e_` for event tables. */
export const DIMENSION_PREFIX = "_d_";
/** Columns of traits: an identify's or group's `traits` object, flattened with its prefix. */
export const TRAIT_PREFIX = "traits__";
/** The column holding a group's own id (`groupId`), the key of a groups dimension. */
export const GROUP_KEY = "group_id";

/** A dimension table kept from an event table. */
export interface Dimension {
  /** The dimension table. */
  readonly table: string;
  /** The event table it is kept from. */
  readonly source: string;
  /** The column naming the entity, in both tables: `_sz_enid` or `group_id`. */
  readonly key: string;
  /** The trait columns, in the event table's order. */
  readonly traits: readonly string[];
  /** The dimension table's schema at the event table's version. */
  readonly schema: TableSchema;
}

// An entype segment never holds `__` (naming.ts), so the split is unambiguous.
const SOURCE = /^_e_([a-z0-9_]+?)__(identifies|groups)$/;
const known = new WeakMap<TableSchema, Dimension | null>();

/**
 * The dimension an event table's version keeps, or undefined when it keeps none: the table is not
 * an identifies or groups table, or (groups) has no `group_id` column yet.
 *
 * @example
 * ```ts
 * dimensionOf(identifiesV3)?.table;   // "_d_user"
 * dimensionOf(identifiesV3)?.traits;  // ["traits__email", "traits__plan"]
 * dimensionOf(orderCompletedV1);      // undefined
 * ```
 */
export function dimensionOf(source: TableSchema): Dimension | undefined {
  const seen = known.get(source);
  if (seen !== undefined) return seen ?? undefined;
  const dimension = project(source);
  known.set(source, dimension ?? null);
  return dimension;
}

function project(source: TableSchema): Dimension | undefined {
  const match = SOURCE.exec(source.table);
  if (match === null) return undefined;
  const [, entype, call] = match as unknown as [string, string, "identifies" | "groups"];
  const key = call === "identifies" ? SYSTEM_COLUMNS.enid : GROUP_KEY;
  const byName = new Map(source.columns.map((c) => [c.name, c]));
  const keyColumn = byName.get(key);
  if (keyColumn === undefined) return undefined;
  const traits = source.columns.filter((c) => c.name.startsWith(TRAIT_PREFIX));
  const table = call === "identifies" ? `${DIMENSION_PREFIX}${entype}` : `${DIMENSION_PREFIX}${entype}__groups`;
  const columns: Column[] = [keyColumn, byName.get(SYSTEM_COLUMNS.ts) as Column, byName.get(SYSTEM_COLUMNS.id) as Column, ...traits];
  return {
    table,
    source: source.table,
    key,
    traits: traits.map((c) => c.name),
    schema: { table, dialect: source.dialect, version: source.version, columns },
  };
}
