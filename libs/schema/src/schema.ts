/**
 * Table schema versions as plain JSON-serialisable data, for the registry to store as is.
 */
import { createHash } from "node:crypto";
import type { Dialect } from "./naming.ts";
import type { ColumnType } from "./type-lattice.ts";

/** One warehouse column. */
export interface Column {
  /** The warehouse identifier, unquoted (`[a-z_][a-z0-9_]*`). */
  readonly name: string;
  readonly type: ColumnType;
  /** Redshift only: declared VARCHAR size in bytes of a `varchar` or `json` column. */
  readonly maxBytes?: number;
  /**
   * The body paths (raw JSON keys, outermost first) whose values land here, sorted. More than
   * one when several spellings normalize to this name; empty for system columns.
   */
  readonly sources: readonly (readonly string[])[];
}

/**
 * One version of one table's schema. Treat it as immutable: the hot-path functions cache
 * work per schema object.
 */
export interface TableSchema {
  readonly table: string;
  readonly dialect: Dialect;
  /** 0 for a table that does not exist yet ({@link emptySchema}), then 1, 2, … */
  readonly version: number;
  /**
   * Columns in table order: the system columns, then body columns in the order they were added.
   * A version only appends columns or widens their types; it never moves or drops one.
   */
  readonly columns: readonly Column[];
}

/** The system columns, first in every table. */
export const SYSTEM_COLUMNS = {
  /** The event's idempotency key; the loader skips rows whose id it has already stored. */
  id: "_sz_id",
  /** The event time from the envelope. */
  ts: "_sz_ts",
  /** The entity id from the envelope, if any. */
  enid: "_sz_enid",
  /** When the front door accepted the event. */
  receivedAt: "_sz_received_at",
  /** The schema version the row was encoded with. */
  version: "_sz_version",
  /** JSON array of `{path, reason, value}` for every body value that has no place in its column. */
  unmapped: "_sz_unmapped",
} as const;

/** Size of the id and entity id columns; the envelope refuses longer values. */
export const SYSTEM_ID_BYTES = 256;

const SYSTEM_COLUMN_LIST: readonly Column[] = [
  { name: SYSTEM_COLUMNS.id, type: "varchar", sources: [] },
  { name: SYSTEM_COLUMNS.ts, type: "timestamptz", sources: [] },
  { name: SYSTEM_COLUMNS.enid, type: "varchar", sources: [] },
  { name: SYSTEM_COLUMNS.receivedAt, type: "timestamptz", sources: [] },
  { name: SYSTEM_COLUMNS.version, type: "bigint", sources: [] },
  { name: SYSTEM_COLUMNS.unmapped, type: "json", sources: [] },
];

/** How many system columns lead every table. */
export const SYSTEM_COLUMN_COUNT = SYSTEM_COLUMN_LIST.length;

/** System columns that always have a value. */
export const NOT_NULL_SYSTEM_COLUMNS: ReadonlySet<string> = new Set([
  SYSTEM_COLUMNS.id,
  SYSTEM_COLUMNS.ts,
  SYSTEM_COLUMNS.receivedAt,
  SYSTEM_COLUMNS.version,
]);

/**
 * The schema of a table that does not exist yet: version 0, system columns only. Merging any
 * observed row into it gives version 1.
 *
 * @example
 * ```ts
 * const v0 = emptySchema("_e_user__pass_mission", "postgres");
 * v0.columns.map((c) => c.name); // ["_sz_id", "_sz_ts", "_sz_enid", "_sz_received_at", "_sz_version", "_sz_unmapped"]
 * ```
 */
export function emptySchema(table: string, dialect: Dialect): TableSchema {
  const columns = SYSTEM_COLUMN_LIST.map((c): Column => {
    if (dialect !== "redshift") return c;
    if (c.name === SYSTEM_COLUMNS.id || c.name === SYSTEM_COLUMNS.enid) {
      return { name: c.name, type: c.type, maxBytes: SYSTEM_ID_BYTES, sources: c.sources };
    }
    if (c.name === SYSTEM_COLUMNS.unmapped) return { name: c.name, type: c.type, maxBytes: 65_535, sources: c.sources };
    return c;
  });
  return { table, dialect, version: 0, columns };
}

/**
 * A stable hash of everything that shapes the table and its rows' encoding: table, dialect, and
 * the columns in order with their types, sizes and sources. The version number is left out, so
 * two writers that computed the same schema get the same fingerprint.
 *
 * @example
 * ```ts
 * fingerprint(v1) === fingerprint(JSON.parse(JSON.stringify(v1))); // true
 * ```
 */
export function fingerprint(schema: TableSchema): string {
  const canonical = JSON.stringify([
    schema.table,
    schema.dialect,
    schema.columns.map((c) => [c.name, c.type, c.maxBytes ?? null, c.sources]),
  ]);
  return createHash("sha256").update(canonical, "utf8").digest("hex");
}

/**
 * The body column a path lands in, if any.
 *
 * @example
 * ```ts
 * columnForPath(schema, ["user", "isPremium"])?.name; // "user__is_premium"
 * ```
 */
export function columnForPath(schema: TableSchema, path: readonly string[]): Column | undefined {
  const key = JSON.stringify(path);
  return schema.columns.find((c) => c.sources.some((s) => JSON.stringify(s) === key));
}
