/**
 * Rows as RFC 4180 CSV for COPY, in the convention both warehouses read: a NULL is an empty
 * unquoted field, an empty string is `""`, and a field is quoted when it holds a comma, a quote,
 * CR, LF or a backslash (so Postgres never mistakes a line for its `\.` end marker) or is empty.
 *
 * Text a warehouse cannot hold is never written: Postgres text refuses NUL, and a lone surrogate
 * has no UTF-8 form (any other string becomes valid UTF-8). libs/schema already keeps such values
 * out of columns; should a row from elsewhere carry one, the cell is written as NULL and its value
 * is appended to `_sz_unmapped` with reason `invalid_text`, the same rule the sqlizer applies, so
 * nothing is lost. `_sz_unmapped` itself is JSON text whose escapes keep any character.
 */
import { cellText, formatTimestamp, SYSTEM_COLUMNS, type CellValue, type Column, type TableSchema } from "@schematizer/schema";

/** What encoding one row produced. */
export interface EncodedRow {
  readonly line: string;
  /** Cells moved to `_sz_unmapped` because the warehouse could not hold their text. */
  readonly moved: number;
}

type Format = (cell: CellValue) => string | null;

/** Escapes jsonb refuses inside JSON text: \u0000 and lone surrogates. */
const SUSPECT_JSON_ESCAPE = /\\u(?:0000|d[89a-f])/i;
const NEEDS_QUOTES = /[",\r\n\\]/;

interface WellFormed {
  isWellFormed(): boolean;
}

/**
 * Whether a warehouse text column holds the string as is.
 *
 * @example
 * ```ts
 * isStorable("café"); // true
 * isStorable("a\u0000b"); // false
 * ```
 */
export function isStorable(text: string): boolean {
  return text.indexOf("\0") === -1 && (text as unknown as WellFormed).isWellFormed();
}

/**
 * One CSV field: `null` is the empty unquoted field, everything else is quoted when needed.
 *
 * @example
 * ```ts
 * csvField(null);      // ""
 * csvField("");        // '""'
 * csvField('say "hi"'); // '"say ""hi"""'
 * ```
 */
export function csvField(text: string | null): string {
  if (text === null) return "";
  if (text.length === 0) return '""';
  if (!NEEDS_QUOTES.test(text)) return text;
  return `"${text.replace(/"/g, '""')}"`;
}

/**
 * Timestamp text as libs/schema's `formatTimestamp` writes it, without its BigInt arithmetic
 * for the common case (years 1970…9999 as safe integers): this runs twice per row.
 */
export function timestampText(micros: number | bigint): string {
  if (typeof micros === "number" && micros >= 0 && micros < 253_402_300_800_000_000) {
    const millis = Math.floor(micros / 1000);
    const iso = new Date(millis).toISOString(); // 2015-01-01T00:31:32.000Z
    const fraction = micros - millis * 1000;
    return `${iso.slice(0, 23)}${fraction < 10 ? "00" : fraction < 100 ? "0" : ""}${fraction}Z`;
  }
  return formatTimestamp(micros);
}

function formatter(column: Column): Format {
  switch (column.type) {
    case "timestamptz":
      return (cell) => (cell === null ? null : timestampText(cell as number | bigint));
    case "boolean":
      return (cell) => (cell === null ? null : cell ? "true" : "false");
    case "bigint":
    case "decimal":
      return (cell) => (cell === null ? null : String(cell));
    default:
      return (cell) => cellText(column, cell);
  }
}

/**
 * Encodes rows of one schema version as CSV lines in column order; compiled once per version.
 *
 * @example
 * ```ts
 * const encoder = new CsvRowEncoder(schema);
 * encoder.encode(row.values).line; // 'e1,2015-01-01T00:31:32.000000Z,,…,7\n'
 * ```
 */
export class CsvRowEncoder {
  private readonly formats: Format[];
  /** 0 plain, 1 text to check, 2 JSON text to check for jsonb-refused escapes too. */
  private readonly checks: Uint8Array;
  private readonly unmappedAt: number;
  private readonly paths: (readonly string[])[];

  constructor(private readonly schema: TableSchema) {
    this.formats = schema.columns.map(formatter);
    this.unmappedAt = schema.columns.findIndex((c) => c.name === SYSTEM_COLUMNS.unmapped);
    this.checks = Uint8Array.from(schema.columns, (c, i) =>
      i === this.unmappedAt ? 0 : c.type === "varchar" ? 1 : c.type === "json" ? 2 : 0,
    );
    this.paths = schema.columns.map((c) => c.sources[0] ?? [c.name]);
  }

  /** The column names, in the order of every line's fields. */
  get columns(): string[] {
    return this.schema.columns.map((c) => c.name);
  }

  encode(values: readonly CellValue[]): EncodedRow {
    let moved: { path: readonly string[]; reason: "invalid_text"; value: string }[] | undefined;
    const n = this.formats.length;
    const fields = new Array<string>(n);
    for (let i = 0; i < n; i++) {
      const cell = values[i] ?? null;
      const check = this.checks[i];
      if (check !== 0 && typeof cell === "string" && (!isStorable(cell) || (check === 2 && SUSPECT_JSON_ESCAPE.test(cell)))) {
        (moved ??= []).push({ path: this.paths[i] as readonly string[], reason: "invalid_text", value: cell });
        fields[i] = "";
        continue;
      }
      fields[i] = csvField((this.formats[i] as Format)(cell));
    }
    if (moved !== undefined && this.unmappedAt >= 0) {
      fields[this.unmappedAt] = csvField(appendUnmapped(values[this.unmappedAt] ?? null, moved));
    }
    return { line: `${fields.join(",")}\n`, moved: moved?.length ?? 0 };
  }
}

/** Appends entries to a `_sz_unmapped` JSON array without parsing it (it may hold integers beyond 2^53). */
function appendUnmapped(existing: CellValue, entries: readonly object[]): string {
  const added = entries.map((e) => JSON.stringify(e)).join(",");
  if (existing === null) return `[${added}]`;
  const body = String(existing).trim();
  if (body === "[]") return `[${added}]`;
  if (body.startsWith("[") && body.endsWith("]")) return `${body.slice(0, -1)},${added}]`;
  // Not an array: keep it as an entry of its own rather than drop it.
  return `[${JSON.stringify({ path: [SYSTEM_COLUMNS.unmapped], reason: "invalid_text", value: String(existing) })},${added}]`;
}
