/**
 * Rows: one event as the cells of one schema version, and the `_sz_unmapped` entries that keep
 * the values no column holds. coerce.ts makes them; this says what they are and reads them back.
 */
import { parseJson, type JsonValue } from "./json.ts";
import { SYSTEM_COLUMNS, type TableSchema } from "./schema.ts";
import { utf8Length } from "./text.ts";
import type { EpochMicros } from "./time.ts";

/**
 * One cell: `null`; `boolean`; `number` for bigint and double columns, for date columns (days
 * since 1970-01-01) and for timestamptz columns (epoch microseconds, `bigint` when beyond 2^53);
 * `bigint` for decimal columns; `string` for varchar and json (JSON text) columns.
 */
export type CellValue = null | boolean | number | bigint | string;

/** A row: one cell per column of the schema version, in column order. */
export interface Row {
  readonly version: number;
  readonly values: CellValue[];
}

/** What the envelope does not say about a row. */
export interface RowMeta {
  /** The idempotency key: the event's `id`, or the one the front door generated. */
  readonly id: string;
  /** When the front door accepted the event. */
  readonly receivedAt: EpochMicros;
}

/** Why a body value is in `_sz_unmapped`. */
export type UnmappedReason =
  | "no_column"
  | "column_cap"
  | "type_mismatch"
  | "too_long"
  | "invalid_text"
  | "name_collision"
  | "row_too_wide";

/** One entry of `_sz_unmapped`. */
export interface UnmappedValue {
  readonly path: readonly string[];
  readonly reason: UnmappedReason;
  readonly value: JsonValue;
}

/**
 * The `_sz_unmapped` entries of a row, parsed back.
 *
 * @example
 * ```ts
 * unmappedOf(schema, row); // [{ path: ["bio"], reason: "too_long", value: "…" }]
 * ```
 */
export function unmappedOf(schema: TableSchema, row: Row): UnmappedValue[] {
  const index = schema.columns.findIndex((c) => c.name === SYSTEM_COLUMNS.unmapped);
  const text = row.values[index];
  if (typeof text !== "string") return [];
  // parseJson, not JSON.parse: the entries may hold integers beyond 2^53.
  const parsed = parseJson(text);
  return parsed.ok ? (parsed.value as unknown as UnmappedValue[]) : [];
}

/** Bytes of a row as text: UTF-8 of its text cells, and at most 40 for any other cell. */
export function rowTextBytes(values: readonly CellValue[]): number {
  let bytes = 0;
  for (const cell of values) bytes += typeof cell === "string" ? utf8Length(cell) : 40;
  return bytes;
}
