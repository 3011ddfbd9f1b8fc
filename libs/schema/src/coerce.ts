/**
 * Coercion: one event as a row of one schema version (row.ts), in a single pass over the body.
 *
 * This is the per-event hot path. The schema's source paths are compiled once per version into a
 * trie walked in step with the body (see path-trie.ts), so a body that fits costs one lookup and
 * one type check per leaf, with no path strings built. Whatever has no place in its column — an
 * unknown path, a value of a wider type, text over the size limit or not storable, the loser of
 * a name collision — goes to `_sz_unmapped` with its path and a reason: nothing is dropped. The
 * caller learns whether merging the body into the schema would give those values a place.
 *
 * Every row also fits its warehouse (see row-limits.ts): on Postgres, a row whose in-line
 * estimate exceeds the page moves values to `_sz_unmapped` ("row_too_wide"), those of the columns
 * added last first, until it fits; a row that cannot be stored at all (Redshift's `_sz_unmapped`
 * beyond its VARCHAR, a row beyond COPY's input row) comes back with a `refusal`, for the caller
 * to dead-letter its event.
 */
import type { Event } from "./envelope.ts";
import { schemaError, type SchemaError } from "./errors.ts";
import { stringifyJson, type JsonObject, type JsonValue } from "./json.ts";
import { DEFAULT_LIMITS, type Limits } from "./limits.ts";
import { cachedColumnName } from "./naming.ts";
import { comparePaths, DECIMAL_DIGITS } from "./observe.ts";
import { pathTrie, valueAt, type PathNode } from "./path-trie.ts";
import { rowTextBytes, type CellValue, type Row, type RowMeta, type UnmappedReason, type UnmappedValue } from "./row.ts";
import {
  cellInlineBytes,
  MAX_CELL_BYTES,
  ROW_LIMITS,
  SYSTEM_CELLS_BYTES,
  TUPLE_HEADER_BYTES,
} from "./row-limits.ts";
import { SYSTEM_COLUMNS, SYSTEM_COLUMN_COUNT, SYSTEM_ID_BYTES, type TableSchema } from "./schema.ts";
import { isStorableText, utf8Length, utf8LongerThan } from "./text.ts";
import { dateToMicros, parseDate, parseTimestamp } from "./time.ts";
import {
  REDSHIFT_VARCHAR_MAX,
  T_BIGINT,
  T_BOOLEAN,
  T_DATE,
  T_DECIMAL,
  T_DOUBLE,
  T_JSON,
  T_TIMESTAMPTZ,
  T_VARCHAR,
  typeCode,
} from "./type-lattice.ts";

export interface CoerceResult {
  readonly row: Row;
  /**
   * Some value went to `_sz_unmapped` only because this version lacks its column or is too
   * narrow for it, or the version is 0 (no table yet): merge the observed body, then coerce
   * against the new version.
   */
  readonly needsMerge: boolean;
  /** How many body values went to `_sz_unmapped`. */
  readonly unmapped: number;
  /**
   * Present when the row cannot be stored in its warehouse even with values in `_sz_unmapped`
   * (code EVENT_ROW_TOO_LARGE): the event is a dead letter, with this error as its reason. Decide
   * on the result of the last coerce, after any merge: a merge can give values a column.
   */
  readonly refusal?: SchemaError;
}

/**
 * Encodes an event as a row of a schema version.
 *
 * @example
 * ```ts
 * let result = coerce(schema, event, { id: "e1", receivedAt: 1420072292000000 });
 * if (result.needsMerge) {
 *   const next = mergeSchema(schema, observe(event.body));
 *   // …store next.schema in the registry, then coerce against it
 * }
 * if (result.refusal !== undefined) deadLetter(event, result.refusal.code, result.refusal.message);
 * ```
 */
export function coerce(
  schema: TableSchema,
  event: Event,
  meta: RowMeta,
  limits: Pick<Limits, "maxColumns"> = DEFAULT_LIMITS,
): CoerceResult {
  return compile(schema).run(event, meta, limits.maxColumns);
}

interface Claim {
  rank: number;
  path: string[];
  value: JsonValue;
}

const cache = new WeakMap<TableSchema, Compiled>();

function compile(schema: TableSchema): Compiled {
  let compiled = cache.get(schema);
  if (compiled === undefined) {
    compiled = new Compiled(schema);
    cache.set(schema, compiled);
  }
  return compiled;
}

const DECIMAL_MAX = 10n ** BigInt(DECIMAL_DIGITS);
/** Room for body cells in a Postgres row, whatever the table's width and system cells. */
const BODY_INLINE_BYTES = ROW_LIMITS.postgres.maxInlineBytes - TUPLE_HEADER_BYTES - SYSTEM_CELLS_BYTES;
/** A JSON text that may hold an escape jsonb refuses (NUL, lone surrogate); confirmed by a walk. */
const SUSPECT_ESCAPE = /\\u(?:0000|d[89a-f])/i;

class Compiled {
  private readonly root: PathNode;
  private readonly types: Uint8Array;
  /** Declared byte size of textual columns; 0 when unbounded (Postgres). */
  private readonly maxBytes: Int32Array;
  private readonly shared: Uint8Array;
  private readonly names: Set<string>;
  private readonly ncols: number;
  private readonly version: number;
  private readonly unmappedAt: number;
  /** Body cells a row may have with no need to measure it: any fewer fit in line whatever they hold. */
  private readonly surelyFits: number;
  private readonly maxRowTextBytes: number;

  // Per-event state; a Compiled is used by one coerce call at a time.
  private values: CellValue[] = [];
  private unmapped: UnmappedValue[] | undefined;
  private claims: Map<number, Claim> | undefined;
  private needsMerge = false;
  private atCap = false;
  /** Body cells given a value. */
  private filled = 0;
  /** UTF-16 units of the text cells: a cheap bound on the row's text. */
  private textUnits = 0;
  private readonly path: string[] = [];

  constructor(private readonly schema: TableSchema) {
    const columns = schema.columns;
    this.ncols = columns.length;
    this.version = schema.version;
    this.types = new Uint8Array(this.ncols);
    this.maxBytes = new Int32Array(this.ncols);
    this.shared = new Uint8Array(this.ncols);
    this.names = new Set(columns.map((c) => c.name));
    const order = Object.values(SYSTEM_COLUMNS);
    for (let i = 0; i < SYSTEM_COLUMN_COUNT; i++) {
      if (columns[i]?.name !== order[i]) throw new Error(`schema ${schema.table} v${schema.version}: system columns out of place`);
    }
    this.unmappedAt = order.indexOf(SYSTEM_COLUMNS.unmapped);
    const limits = ROW_LIMITS[schema.dialect];
    this.surelyFits = Math.floor(
      (Math.min(limits.maxInlineBytes, Number.MAX_SAFE_INTEGER) - TUPLE_HEADER_BYTES - SYSTEM_CELLS_BYTES) / MAX_CELL_BYTES,
    );
    this.maxRowTextBytes = limits.maxRowTextBytes;
    columns.forEach((column, col) => {
      this.types[col] = typeCode(column.type);
      this.maxBytes[col] = column.maxBytes ?? 0;
      this.shared[col] = column.sources.length > 1 ? 1 : 0;
    });
    this.root = pathTrie(columns);
  }

  run(event: Event, meta: RowMeta, maxColumns: number): CoerceResult {
    const values: CellValue[] = new Array<CellValue>(this.ncols).fill(null);
    this.values = values;
    this.unmapped = undefined;
    this.claims = undefined;
    // Version 0 is a table that does not exist yet: even an empty body must create it.
    this.needsMerge = this.version === 0;
    this.atCap = this.ncols >= maxColumns;
    this.filled = 0;
    this.textUnits = 0;
    this.path.length = 0;

    this.walk(event.body, this.root);
    if (this.filled > this.surelyFits) this.fitInline(event);

    values[0] = meta.id;
    values[1] = event.ts;
    values[2] = event.enid ?? null;
    values[3] = meta.receivedAt;
    values[4] = this.version;
    // Assigned by the walk; the cast undoes the narrowing from the reset above.
    const unmapped = this.unmapped as UnmappedValue[] | undefined;
    let refusal: SchemaError | undefined;
    if (unmapped !== undefined) {
      // Path order, so the column does not depend on the order of keys in the body.
      if (unmapped.length > 1) unmapped.sort((a, b) => comparePaths(a.path, b.path));
      const text = stringifyJson(unmapped as unknown as JsonValue);
      values[this.unmappedAt] = text;
      this.textUnits += text.length;
      const max = this.maxBytes[this.unmappedAt] as number;
      if (max > 0 && utf8LongerThan(text, max)) {
        refusal = tooLarge(`the values that fit no column take ${utf8Length(text)} bytes in ${SYSTEM_COLUMNS.unmapped}, which holds ${max}`);
      }
    }
    // A text cell is at most 3 bytes per unit, any other cell at most 40, the two ids 256 each.
    if (refusal === undefined && this.textUnits * 3 + this.ncols * 40 + 2 * SYSTEM_ID_BYTES > this.maxRowTextBytes) {
      const bytes = rowTextBytes(values);
      if (bytes > this.maxRowTextBytes) {
        refusal = tooLarge(`the row is ${bytes} bytes of text; a load reads rows of at most ${this.maxRowTextBytes}`);
      }
    }
    return {
      row: { version: this.version, values },
      needsMerge: this.needsMerge,
      unmapped: unmapped === undefined ? 0 : unmapped.length,
      refusal,
    };
  }

  /**
   * Moves cells to `_sz_unmapped`, those of the columns added last first, until the row's in-line
   * estimate fits a Postgres page. Deterministic: it depends on the schema and the cells only.
   */
  private fitInline(event: Event): void {
    const values = this.values;
    const types = this.types;
    let bytes = 0;
    for (let col = SYSTEM_COLUMN_COUNT; col < this.ncols; col++) {
      const cell = values[col];
      if (cell !== null && cell !== undefined) bytes += cellInlineBytes(types[col] as number, cell);
    }
    for (let col = this.ncols - 1; col >= SYSTEM_COLUMN_COUNT && bytes > BODY_INLINE_BYTES; col--) {
      const cell = values[col];
      if (cell === null || cell === undefined) continue;
      bytes -= cellInlineBytes(types[col] as number, cell);
      values[col] = null;
      const held = this.claims?.get(col);
      const path = held?.path ?? (this.schema.columns[col]?.sources[0] as readonly string[]);
      const value = held?.value ?? valueAt(event.body, path);
      (this.unmapped ??= []).push({ path: [...path], reason: "row_too_wide", value });
    }
  }

  private walk(obj: JsonObject, node: PathNode | undefined): void {
    const children = node?.children;
    for (const key in obj) {
      const value = obj[key] as JsonValue;
      if (value === null) continue;
      const child = children?.get(key);
      if (typeof value === "object" && !Array.isArray(value)) {
        this.path.push(key);
        this.walk(value, child);
        this.path.pop();
        continue;
      }
      if (child === undefined || child.col < 0) {
        this.unknown(key, value);
        continue;
      }
      const col = child.col;
      const cell = this.convert(value, col, key);
      if (cell === undefined) continue;
      if (this.shared[col] === 1) this.claim(col, child.rank, key, value, cell);
      else {
        this.values[col] = cell;
        this.filled++;
      }
    }
  }

  /** The cell for a value, or `undefined` after recording why it has no place. */
  private convert(value: JsonValue, col: number, key: string): CellValue | undefined {
    const type = this.types[col];
    switch (typeof value) {
      case "boolean":
        if (type === T_BOOLEAN) return value;
        if (type === T_VARCHAR) return value ? "true" : "false";
        break;
      case "number":
        if (type === T_BIGINT) {
          // + 0 turns −0 into 0: an integer column has no negative zero.
          if (Number.isSafeInteger(value)) return value + 0;
        } else if (type === T_DOUBLE) {
          if (Number.isFinite(value)) return value;
        } else if (type === T_DECIMAL) {
          if (Number.isSafeInteger(value)) return BigInt(value);
        } else if (type === T_VARCHAR) {
          return String(value);
        }
        break;
      case "bigint":
        if (type === T_DECIMAL) {
          if (value < DECIMAL_MAX && value > -DECIMAL_MAX) return value;
        } else if (type === T_VARCHAR) {
          return this.text(value.toString(), col, key, value);
        }
        break;
      case "string":
        if (type === T_VARCHAR) {
          if (!isStorableText(value)) return this.reject(key, value, "invalid_text", false);
          return this.text(value, col, key, value);
        }
        if (type === T_TIMESTAMPTZ) {
          const micros = parseTimestamp(value);
          if (micros !== undefined) return micros;
          const days = parseDate(value);
          if (days !== undefined) return dateToMicros(days);
        } else if (type === T_DATE) {
          const days = parseDate(value);
          if (days !== undefined) return days;
        }
        break;
      case "object":
        if (type === T_JSON || type === T_VARCHAR) {
          const text = stringifyJson(value);
          if (SUSPECT_ESCAPE.test(text) && !storableJson(value)) return this.reject(key, value, "invalid_text", false);
          return this.text(text, col, key, value);
        }
        break;
    }
    return this.reject(key, value, "type_mismatch", true);
  }

  private text(text: string, col: number, key: string, value: JsonValue): string | undefined {
    const max = this.maxBytes[col] as number;
    this.textUnits += text.length;
    if (max === 0 || !utf8LongerThan(text, max)) return text;
    // Below Redshift's maximum, the next version's column is simply wider.
    return this.reject(key, value, "too_long", max < REDSHIFT_VARCHAR_MAX);
  }

  private reject(key: string, value: JsonValue, reason: UnmappedReason, mergeable: boolean): undefined {
    if (mergeable) this.needsMerge = true;
    (this.unmapped ??= []).push({ path: [...this.path, key], reason, value });
    return undefined;
  }

  private unknown(key: string, value: JsonValue): void {
    if (!this.atCap) {
      this.reject(key, value, "no_column", true);
      return;
    }
    // At the cap only a new spelling of an existing column can still be merged in.
    const existing = this.names.has(cachedColumnName([...this.path, key], this.schema.dialect));
    this.reject(key, value, existing ? "no_column" : "column_cap", existing);
  }

  private claim(col: number, rank: number, key: string, value: JsonValue, cell: CellValue): void {
    const claims = (this.claims ??= new Map());
    const held = claims.get(col);
    const path = [...this.path, key];
    if (held === undefined || rank < held.rank) {
      if (held !== undefined) (this.unmapped ??= []).push({ path: held.path, reason: "name_collision", value: held.value });
      else this.filled++;
      claims.set(col, { rank, path, value });
      this.values[col] = cell;
    } else {
      (this.unmapped ??= []).push({ path, reason: "name_collision", value });
    }
  }

}

function tooLarge(message: string): SchemaError {
  return schemaError("EVENT_ROW_TOO_LARGE", "$.body", message);
}

function storableJson(value: JsonValue): boolean {
  if (typeof value === "string") return isStorableText(value);
  if (value === null || typeof value !== "object") return true;
  if (Array.isArray(value)) return value.every(storableJson);
  return Object.keys(value).every((k) => isStorableText(k) && storableJson(value[k] as JsonValue));
}
