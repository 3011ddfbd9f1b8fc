/**
 * What one row may hold in each warehouse, and a cheap, conservative estimate of the room a row
 * takes in a Postgres page.
 *
 * Postgres keeps a row in one 8 kB page: at most 8160 bytes of tuple (header, null bitmap and
 * in-line values), else "row is too big". TOAST makes room first: a varlena value (text, json,
 * jsonb, numeric) over 24 bytes is compressed or moved out of line and leaves an 18-byte pointer,
 * but a value of at most 24 bytes is never moved, and fixed-width values (bigint, double,
 * timestamptz, date, boolean) never are. So once TOAST did all it can, each value takes at most
 * its own in-line bytes when they are at most 24, else at most 24 plus alignment. The estimate
 * below is an upper bound of that, per value, that also holds after any later widening of the
 * column (a boolean that becomes text "false" takes 6 bytes, a timestamp that becomes text is
 * moved out): rows of an old version are loaded into the table as it is now.
 *
 * Redshift stores columns apart, so it has no in-line limit; its limits are the 65535-byte
 * VARCHAR (`_sz_unmapped` included) and COPY's 4 MB input row.
 */
import type { Dialect } from "./naming.ts";
import { T_BIGINT, T_BOOLEAN, T_DATE, T_DECIMAL, T_DOUBLE, T_JSON, T_TIMESTAMPTZ, T_VARCHAR } from "./type-lattice.ts";

/** Limits of one row of one table. */
export interface RowLimits {
  /** Most columns of a table, system columns included. */
  readonly maxColumns: number;
  /** Most bytes of one row in line, header included (Postgres' page); Infinity when there is no such limit. */
  readonly maxInlineBytes: number;
  /** Most bytes of one row as the text a load reads (Redshift COPY: 4 MB per input row; Postgres: 1 GB). */
  readonly maxRowTextBytes: number;
}

/** Row limits per warehouse. */
export const ROW_LIMITS: Readonly<Record<Dialect, RowLimits>> = {
  postgres: { maxColumns: 1600, maxInlineBytes: 8160, maxRowTextBytes: 1_073_741_823 },
  redshift: { maxColumns: 1600, maxInlineBytes: Number.POSITIVE_INFINITY, maxRowTextBytes: 4 * 1024 * 1024 },
};

/**
 * Largest tuple header: 23 bytes and one null-bitmap bit per column of the widest table (1600),
 * aligned to 8. A table gains columns after a row was encoded, so the bound is the widest table.
 */
export const TUPLE_HEADER_BYTES = 224;

/** In-line bytes of a varlena value that TOAST moved out or compressed, with alignment. */
const TOASTED_BYTES = 27;

/**
 * Bound on the in-line bytes of a cell by column type code, for the types whose cells have a fixed
 * bound: boolean 1 byte (6 as text "false"); bigint 8 plus padding (at most 23 as the text of a
 * double it may widen to); double, timestamptz and date as text can exceed 24 bytes, so moved out;
 * numeric(38,0) at most 25 in line; jsonb is larger than its text, so taken as moved out. Text
 * columns are measured per value ({@link textInlineBytes}).
 */
const CELL_BYTES = new Uint8Array(8);
CELL_BYTES[T_BOOLEAN] = 6;
CELL_BYTES[T_BIGINT] = 24;
CELL_BYTES[T_DOUBLE] = TOASTED_BYTES;
CELL_BYTES[T_DECIMAL] = 28;
CELL_BYTES[T_TIMESTAMPTZ] = TOASTED_BYTES;
CELL_BYTES[T_DATE] = TOASTED_BYTES;
CELL_BYTES[T_JSON] = TOASTED_BYTES;
CELL_BYTES[T_VARCHAR] = TOASTED_BYTES;

/** The largest bound of one cell of any type. */
export const MAX_CELL_BYTES = 28;

/**
 * Bound on the six system columns: two texts of up to 256 bytes (moved out), three 8-byte values
 * with padding, and `_sz_unmapped` (moved out when long).
 */
export const SYSTEM_CELLS_BYTES = 2 * TOASTED_BYTES + 3 * 15 + TOASTED_BYTES;

/**
 * In-line bytes of a text value once TOAST did what it can: 1 header byte and its UTF-8 when that
 * is at most 24 bytes (never moved), else at most {@link TOASTED_BYTES}.
 *
 * @example
 * ```ts
 * textInlineBytes("caverns");     // 8
 * textInlineBytes("x".repeat(40)); // 27
 * ```
 */
export function textInlineBytes(s: string): number {
  const n = s.length;
  if (n > 23) return TOASTED_BYTES;
  let bytes = n + 1;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    // A surrogate pair counts 3 bytes per unit where UTF-8 takes 4 for both: an overestimate.
    if (c >= 0x80) bytes += c >= 0x800 ? 2 : 1;
  }
  return bytes <= 24 ? bytes : TOASTED_BYTES;
}

/**
 * Bound on the in-line bytes of one non-null cell in a column of type `code` (see
 * {@link textInlineBytes} for text).
 *
 * @example
 * ```ts
 * cellInlineBytes(T_BOOLEAN, true); // 6
 * ```
 */
export function cellInlineBytes(code: number, cell: unknown): number {
  if (code === T_VARCHAR && typeof cell === "string") return textInlineBytes(cell);
  return CELL_BYTES[code] as number;
}
