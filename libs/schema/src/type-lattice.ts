/**
 * The column type lattice.
 *
 *                        varchar
 *        ┌────────┬───────┼────────┬─────────────┐
 *     boolean   double  decimal   json      timestamptz
 *                 └──┬───┘                     │
 *                  bigint                     date
 *
 * A type's values are the values its column holds exactly, and the join of two types is the
 * smallest type holding both:
 * - `bigint` is an integer within ±(2^53 − 1), so widening it to `double` never rounds.
 * - `decimal` (NUMERIC(38,0)) is an integer literal beyond that: a 19-digit id stays exact. It is
 *   its own type, not `bigint`, because `bigint ⊔ double = double` is only lossless when the
 *   bigint column never held a value beyond 2^53; a 39-digit integer is text.
 * - `double ⊔ decimal` is `varchar`: neither holds the other's values exactly.
 * - `date ⊔ timestamptz` is `timestamptz`: a date is its midnight UTC.
 * - `json` (arrays) joins anything else at `varchar`, where arrays are their JSON text.
 * - Anything else that disagrees (boolean vs number, number vs text, timestamp vs text…) is
 *   `varchar`, which holds every value as text.
 * The join is a least upper bound in a partial order, hence commutative, associative and
 * idempotent; the property tests check it over every triple.
 */

/** A column type; see the lattice above. */
export type ColumnType = "boolean" | "bigint" | "double" | "decimal" | "varchar" | "timestamptz" | "date" | "json";

/** Every column type, in a fixed order (their codes). */
export const COLUMN_TYPES: readonly ColumnType[] = [
  "boolean",
  "bigint",
  "double",
  "decimal",
  "varchar",
  "timestamptz",
  "date",
  "json",
];

export const T_BOOLEAN = 0;
export const T_BIGINT = 1;
export const T_DOUBLE = 2;
export const T_DECIMAL = 3;
export const T_VARCHAR = 4;
export const T_TIMESTAMPTZ = 5;
export const T_DATE = 6;
export const T_JSON = 7;

const CODE: Record<ColumnType, number> = {
  boolean: T_BOOLEAN,
  bigint: T_BIGINT,
  double: T_DOUBLE,
  decimal: T_DECIMAL,
  varchar: T_VARCHAR,
  timestamptz: T_TIMESTAMPTZ,
  date: T_DATE,
  json: T_JSON,
};

/** JOIN[a * 8 + b] is the code of the join of type codes a and b. */
const JOIN = new Uint8Array(64);
for (let a = 0; a < 8; a++) {
  for (let b = 0; b < 8; b++) JOIN[a * 8 + b] = a === b ? a : joinDistinct(a, b);
}

function joinDistinct(a: number, b: number): number {
  const lo = Math.min(a, b);
  const hi = Math.max(a, b);
  if (lo === T_BIGINT && (hi === T_DOUBLE || hi === T_DECIMAL)) return hi;
  if (lo === T_TIMESTAMPTZ && hi === T_DATE) return T_TIMESTAMPTZ;
  return T_VARCHAR;
}

/** The code of a type, for the hot path's table lookups. */
export function typeCode(type: ColumnType): number {
  return CODE[type];
}

/**
 * The smallest type that holds every value of both.
 *
 * @example
 * ```ts
 * joinTypes("bigint", "double");       // "double"
 * joinTypes("boolean", "bigint");      // "varchar"
 * joinTypes("date", "timestamptz");    // "timestamptz"
 * ```
 */
export function joinTypes(a: ColumnType, b: ColumnType): ColumnType {
  return COLUMN_TYPES[JOIN[CODE[a] * 8 + CODE[b]] as number] as ColumnType;
}

/**
 * Whether every value of `a` is held exactly by a column of type `b` (a ≤ b in the lattice).
 *
 * @example
 * ```ts
 * isWithin("bigint", "double");  // true
 * isWithin("double", "bigint");  // false
 * ```
 */
export function isWithin(a: ColumnType, b: ColumnType): boolean {
  return JOIN[CODE[a] * 8 + CODE[b]] === CODE[b];
}

/** Whether values of this type are text in a Redshift VARCHAR and so carry a byte length. */
export function isTextual(type: ColumnType): boolean {
  return type === "varchar" || type === "json";
}

/** Redshift's largest VARCHAR, in bytes. */
export const REDSHIFT_VARCHAR_MAX = 65_535;

/**
 * Declared VARCHAR sizes. Few, so that a column's size changes rarely (each change is a
 * non-transactional ALTER on Redshift); the smallest is wide enough for any scalar as text.
 */
export const VARCHAR_SIZES: readonly number[] = [256, 1024, 4096, 16_384, REDSHIFT_VARCHAR_MAX];

/** The smallest declared size holding `bytes`, capped at the Redshift maximum. @example `varcharSize(300)` → `1024` */
export function varcharSize(bytes: number): number {
  for (const size of VARCHAR_SIZES) if (bytes <= size) return size;
  return REDSHIFT_VARCHAR_MAX;
}

/** A type with, for textual types on Redshift, its declared byte size. */
export interface SizedType {
  readonly type: ColumnType;
  readonly maxBytes?: number;
}

/**
 * Join of two sized types. A non-textual type that widens to text needs at most the smallest
 * size (its text is at most 40 bytes), so sizes join by maximum; both parts are lattices, and so
 * is their product.
 *
 * @example
 * ```ts
 * joinSized({ type: "bigint" }, { type: "varchar", maxBytes: 1024 }); // { type: "varchar", maxBytes: 1024 }
 * ```
 */
export function joinSized(a: SizedType, b: SizedType, sized = true): SizedType {
  const type = joinTypes(a.type, b.type);
  if (!sized || !isTextual(type)) return { type };
  return { type, maxBytes: Math.max(textBytes(a), textBytes(b)) };
}

function textBytes(t: SizedType): number {
  return isTextual(t.type) ? (t.maxBytes ?? VARCHAR_SIZES[0]!) : VARCHAR_SIZES[0]!;
}
