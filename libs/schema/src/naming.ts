/**
 * Warehouse names for tables and columns.
 *
 * A name is a function of the JSON path alone (and the dialect's byte limit), never of which
 * other paths were seen first: that is what keeps merging order-independent. Spellings that
 * normalize to the same name (`isPremium`, `is_premium`, `is-premium`) therefore share one
 * column, as they are almost always one field written by two client versions; the schema
 * records every spelling as a source of the column, and when one event carries two of them the
 * row keeps the first in path order and puts the other in `_sz_unmapped`.
 *
 * A name is snake_case ASCII: `[a-z_][a-z0-9_]*`. Path segments are joined with `__` and a
 * segment never contains `__` itself, so `{"a":{"b":1}}` (`a__b`) never meets `{"a_b":1}` (`a_b`).
 * User names never start with an underscore unless followed by a digit, so none can be a
 * `_sz_` system column. Names over the byte limit are cut and given a hash of the full name.
 * A normalized name never ends with `_`; a name the warehouse keeps for its own system columns
 * (`xmin`, `ctid`…) gets one, which therefore can never meet another path's name.
 */
import { createHash } from "node:crypto";

/** A warehouse the schema is written for. */
export type Dialect = "postgres" | "redshift";

/** Longest identifier in bytes: Postgres NAMEDATALEN − 1, Redshift's documented maximum. */
export const NAME_LIMITS: Readonly<Record<Dialect, number>> = { postgres: 63, redshift: 127 };

/** Prefix of the columns the pipeline itself writes. */
export const SYSTEM_PREFIX = "_sz_";

/**
 * Column names each warehouse keeps for its own system columns; a table cannot have a column of
 * that name, quoted or not (Postgres: 42701). Postgres 12+ has six. Redshift keeps the Postgres
 * 8.0 set, with `oid`, plus the MVCC columns `insertxid` and `deletexid`.
 */
export const RESERVED_COLUMN_NAMES: Readonly<Record<Dialect, ReadonlySet<string>>> = {
  postgres: new Set(["tableoid", "xmin", "cmin", "xmax", "cmax", "ctid"]),
  redshift: new Set(["oid", "tableoid", "xmin", "cmin", "xmax", "cmax", "ctid", "insertxid", "deletexid"]),
};

const HASH_HEX = 10;
const VALID_NAME = /^[a-z_][a-z0-9_]*$/;
const NON_ASCII = /[\u0080-\uffff]/;
const COMBINING_MARKS = /[\u0300-\u036f]/g;

/** A deterministic short hash, for names that must be cut or that lost characters. */
export function nameHash(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex").slice(0, HASH_HEX);
}

/**
 * One JSON key as a snake_case ASCII segment: accents dropped, camelCase split, other
 * punctuation as `_`, no leading, trailing or doubled `_`. Characters with no ASCII form would
 * make distinct keys equal, so such keys (and keys with nothing left) get a hash of the key.
 *
 * @example
 * ```ts
 * normalizeSegment("isPremium");     // "is_premium"
 * normalizeSegment("HTTPStatus");    // "http_status"
 * normalizeSegment("Café au lait");  // "cafe_au_lait"
 * normalizeSegment("名前");           // "x_<hash>"
 * ```
 */
export function normalizeSegment(key: string): string {
  let s = key;
  let lossy = false;
  if (NON_ASCII.test(s)) {
    s = s.normalize("NFKD").replace(COMBINING_MARKS, "");
    lossy = NON_ASCII.test(s);
  }
  s = s
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1_$2")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "");
  if (lossy || s === "") s = `${s === "" ? "x" : s}_${nameHash(key)}`;
  return s;
}

/**
 * The column name of a body path.
 *
 * @example
 * ```ts
 * columnName(["user", "isPremium"], "postgres"); // "user__is_premium"
 * columnName(["1st"], "postgres");               // "_1st"
 * columnName(["_sz_id"], "postgres");            // "sz_id"
 * columnName(["xmin"], "postgres");              // "xmin_"
 * ```
 */
export function columnName(path: readonly string[], dialect: Dialect): string {
  let name = path.map(normalizeSegment).join("__");
  // A leading digit is not a valid Avro name, nor an unquoted SQL identifier.
  if (name.charCodeAt(0) <= 0x39) name = `_${name}`;
  name = fitLimit(name, NAME_LIMITS[dialect]);
  return RESERVED_COLUMN_NAMES[dialect].has(name) ? `${name}_` : name;
}

/**
 * The table of an event kind: `_e_<entype>__<evname>`.
 *
 * @example
 * ```ts
 * tableName("user", "pass_mission", "redshift"); // "_e_user__pass_mission"
 * tableName("User", "Pass Mission", "redshift"); // "_e_user__pass_mission"
 * ```
 */
export function tableName(entype: string, evname: string, dialect: Dialect): string {
  return fitLimit(`_e_${normalizeSegment(entype)}__${normalizeSegment(evname)}`, NAME_LIMITS[dialect]);
}

/**
 * Whether a name is one this module can produce for the dialect: snake_case ASCII, starting with
 * a letter or underscore (so also a valid Avro name), within the byte limit.
 *
 * @example
 * ```ts
 * isValidName("is_premium", "postgres"); // true
 * isValidName("Is-Premium", "postgres"); // false
 * ```
 */
export function isValidName(name: string, dialect: Dialect): boolean {
  return name.length > 0 && name.length <= NAME_LIMITS[dialect] && VALID_NAME.test(name);
}

/** Whether a column name is one of the pipeline's own. @example `isSystemName("_sz_id")` → `true` */
export function isSystemName(name: string): boolean {
  return name.startsWith(SYSTEM_PREFIX);
}

function fitLimit(name: string, limit: number): string {
  if (name.length <= limit) return name;
  const head = name.slice(0, limit - HASH_HEX - 1).replace(/_+$/, "");
  return `${head}_${nameHash(name)}`;
}

const NAME_CACHE_LIMIT = 50_000;
const nameCache = new Map<string, string>();

/**
 * {@link columnName}, remembered: names are pure but not free (normalization, hashing), and merges
 * see the same paths again and again. Bounded, so hostile keys cannot grow it without limit.
 */
export function cachedColumnName(path: readonly string[], dialect: Dialect): string {
  const key = dialect + JSON.stringify(path);
  return nameCache.get(key) ?? remember(key, columnName(path, dialect));
}

/** {@link tableName}, remembered: every event needs its table's name, and a stream has few tables. */
export function cachedTableName(entype: string, evname: string, dialect: Dialect): string {
  const key = `${dialect}:${entype.length}:${entype}${evname}`;
  return nameCache.get(key) ?? remember(key, tableName(entype, evname, dialect));
}

function remember(key: string, name: string): string {
  if (nameCache.size >= NAME_CACHE_LIMIT) nameCache.clear();
  nameCache.set(key, name);
  return name;
}
