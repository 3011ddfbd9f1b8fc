/**
 * Generators for the property tests: bodies as clients send them, including the awkward cases
 * (colliding spellings, big integers, timestamps and dates, nested objects, arrays, nulls,
 * text that no warehouse column can store).
 */
import fc from "fast-check";
import type { JsonObject, JsonValue } from "./json.ts";
import type { Dialect } from "./naming.ts";

/** Keys chosen to collide after normalization, to nest, and to look like system columns. */
export const keyArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom("level", "isPremium", "is_premium", "is-premium", "a", "A", "a.b", "a_b", "b", "user", "geo") },
  { weight: 1, arbitrary: fc.constantFrom("_sz_id", "_sz_unmapped", "1st", "名前", "", "__proto__", "x".repeat(70)) },
  { weight: 1, arbitrary: fc.string({ maxLength: 8 }) },
);

export const scalarArb: fc.Arbitrary<JsonValue> = fc.oneof(
  fc.boolean(),
  fc.integer({ min: -1_000_000, max: 1_000_000 }),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, 1e300, -0),
  fc.bigInt({ min: -(10n ** 40n), max: 10n ** 40n }).filter((n) => n > 9_007_199_254_740_991n || n < -9_007_199_254_740_991n),
  fc.string({ maxLength: 12 }),
  fc.constantFrom("2015-01-01T00:31:32Z", "2015-01-01T00:31:32.123456+02:00", "9999-12-31T23:59:59Z", "2020-02-29", "0001-01-01"),
  fc.constantFrom("a\u0000b", "\ud800", "x".repeat(300), "é".repeat(100)),
);

export const valueArb: fc.Arbitrary<JsonValue> = fc.letrec<{ value: JsonValue; object: JsonObject }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    { weight: 5, arbitrary: scalarArb },
    { weight: 1, arbitrary: fc.constant(null) },
    { weight: 1, arbitrary: fc.array(fc.oneof(scalarArb, fc.constant(null)), { maxLength: 3 }) },
    { weight: 2, arbitrary: tie("object") },
  ),
  object: fc.dictionary(keyArb, tie("value"), { maxKeys: 5, noNullPrototype: true }),
})).value;

export const bodyArb: fc.Arbitrary<JsonObject> = fc.dictionary(keyArb, valueArb, { maxKeys: 8, noNullPrototype: true });

export const dialectArb: fc.Arbitrary<Dialect> = fc.constantFrom("postgres", "redshift");

/** Every leaf of a body that carries a value (not null, not an empty object), with its path. */
export function leaves(body: JsonObject, prefix: string[] = []): { path: string[]; value: JsonValue }[] {
  const out: { path: string[]; value: JsonValue }[] = [];
  for (const key of Object.keys(body)) {
    const value = body[key] as JsonValue;
    if (value === null) continue;
    if (typeof value === "object" && !Array.isArray(value)) out.push(...leaves(value, [...prefix, key]));
    else out.push({ path: [...prefix, key], value });
  }
  return out;
}
