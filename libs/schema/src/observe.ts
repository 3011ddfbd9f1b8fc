/**
 * Flattening and type inference: what one body says about its table's schema.
 */
import { stringifyJson, type JsonObject, type JsonValue } from "./json.ts";
import { parseDate, parseTimestamp } from "./time.ts";
import { joinSized, REDSHIFT_VARCHAR_MAX, varcharSize, type ColumnType, type SizedType } from "./type-lattice.ts";
import { utf8Length } from "./text.ts";

/** The type seen at one body path. */
export interface ObservedField extends SizedType {
  /** Raw JSON keys, outermost first. */
  readonly path: readonly string[];
}

/** The typed leaves of one body (or the join of several), sorted by path, one entry per path. */
export interface ObservedRow {
  readonly fields: readonly ObservedField[];
}

/** Decimal columns are NUMERIC(38,0) / DECIMAL(38,0), Redshift's widest exact type. */
export const DECIMAL_DIGITS = 38;
const DECIMAL_MAX = 10n ** BigInt(DECIMAL_DIGITS);

/**
 * The type of one leaf value, or `undefined` for `null` (no type information).
 *
 * - `true`/`false` → boolean; integers within ±(2^53 − 1) → bigint; other finite numbers →
 *   double; exact integers beyond (a `bigint` from `parseJson`) → decimal up to 38 digits,
 *   varchar beyond. A literal beyond a double (`1e400`) comes from parseJson as its text, so
 *   varchar; a non-finite number built in code is varchar too.
 * - Strings: strict RFC 3339 date-time → timestamptz, `YYYY-MM-DD` → date, else varchar.
 * - Arrays → json. Textual types carry their VARCHAR size.
 *
 * @example
 * ```ts
 * inferType(7);                       // { type: "bigint" }
 * inferType("2015-01-01T00:31:32Z");  // { type: "timestamptz" }
 * inferType(12345678901234567890n);   // { type: "decimal" }
 * inferType(["a"]);                   // { type: "json", maxBytes: 256 }
 * ```
 */
export function inferType(value: JsonValue): SizedType | undefined {
  switch (typeof value) {
    case "boolean":
      return BOOLEAN;
    case "number":
      if (Number.isSafeInteger(value)) return BIGINT;
      return Number.isFinite(value) ? DOUBLE : SMALL_VARCHAR;
    case "bigint":
      return value < DECIMAL_MAX && value > -DECIMAL_MAX ? DECIMAL : sized("varchar", value.toString().length);
    case "string":
      if (parseTimestamp(value) !== undefined) return TIMESTAMPTZ;
      if (parseDate(value) !== undefined) return DATE;
      return sized("varchar", value.length * 3 <= 256 ? 0 : utf8Length(value));
    case "object":
      if (value === null) return undefined;
      if (Array.isArray(value)) return sized("json", utf8Length(stringifyJson(value)));
      return undefined;
    default:
      return undefined;
  }
}

const BOOLEAN: SizedType = { type: "boolean" };
const BIGINT: SizedType = { type: "bigint" };
const DOUBLE: SizedType = { type: "double" };
const DECIMAL: SizedType = { type: "decimal" };
const TIMESTAMPTZ: SizedType = { type: "timestamptz" };
const DATE: SizedType = { type: "date" };
const SMALL_VARCHAR: SizedType = { type: "varchar", maxBytes: 256 };

function sized(type: ColumnType, bytes: number): SizedType {
  return { type, maxBytes: varcharSize(Math.min(bytes, REDSHIFT_VARCHAR_MAX)) };
}

/**
 * Flattens a body into its typed leaves. Nested objects become longer paths; arrays are leaves
 * (stored as JSON text); `null` and `{}` carry no value and no type, so they add nothing.
 *
 * @example
 * ```ts
 * observe({ level: 7, user: { isPremium: false }, tags: ["a"] }).fields;
 * // [ { path: ["level"], type: "bigint" },
 * //   { path: ["tags"], type: "json", maxBytes: 256 },
 * //   { path: ["user", "isPremium"], type: "boolean" } ]
 * ```
 */
export function observe(body: JsonObject): ObservedRow {
  const fields: ObservedField[] = [];
  collect(body, [], fields);
  fields.sort((a, b) => comparePaths(a.path, b.path));
  return { fields };
}

function collect(obj: JsonObject, prefix: string[], out: ObservedField[]): void {
  for (const key of Object.keys(obj)) {
    const value = obj[key] as JsonValue;
    if (value !== null && typeof value === "object" && !Array.isArray(value)) {
      prefix.push(key);
      collect(value, prefix, out);
      prefix.pop();
      continue;
    }
    const t = inferType(value);
    if (t !== undefined) out.push({ ...t, path: [...prefix, key] });
  }
}

/**
 * The join of observed rows: every path of either, with the join of its types. Commutative,
 * associative and idempotent, so a batch of events can be observed once.
 *
 * @example
 * ```ts
 * joinObserved(observe({ a: 1 }), observe({ a: 1.5, b: true })).fields;
 * // [ { path: ["a"], type: "double" }, { path: ["b"], type: "boolean" } ]
 * ```
 */
export function joinObserved(a: ObservedRow, b: ObservedRow): ObservedRow {
  const out: ObservedField[] = [];
  let i = 0;
  let j = 0;
  while (i < a.fields.length || j < b.fields.length) {
    const fa = a.fields[i];
    const fb = b.fields[j];
    const order = fa === undefined ? 1 : fb === undefined ? -1 : comparePaths(fa.path, fb.path);
    if (order < 0) {
      out.push(fa as ObservedField);
      i++;
    } else if (order > 0) {
      out.push(fb as ObservedField);
      j++;
    } else {
      const fieldA = fa as ObservedField;
      out.push({ ...joinSized(fieldA, fb as ObservedField), path: fieldA.path });
      i++;
      j++;
    }
  }
  return { fields: out };
}

/** Orders paths segment by segment, by UTF-16 code units (the same on every machine). */
export function comparePaths(a: readonly string[], b: readonly string[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i] as string;
    const y = b[i] as string;
    if (x !== y) return x < y ? -1 : 1;
  }
  return a.length - b.length;
}
