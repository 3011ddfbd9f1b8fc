/**
 * Confluent compatibility levels, checked with Avro's own schema resolution rules: a reader
 * schema can read data written with a writer schema exactly when avsc can build a resolver
 * from the writer to the reader.
 */
import type avsc from "avsc";

/** Confluent's compatibility levels. */
export const COMPATIBILITY_LEVELS = [
  "BACKWARD",
  "BACKWARD_TRANSITIVE",
  "FORWARD",
  "FORWARD_TRANSITIVE",
  "FULL",
  "FULL_TRANSITIVE",
  "NONE",
] as const;

export type CompatibilityLevel = (typeof COMPATIBILITY_LEVELS)[number];

/** Confluent's default when neither the subject nor the registry sets a level. */
export const DEFAULT_COMPATIBILITY: CompatibilityLevel = "BACKWARD";

/**
 * Whether a string names a level; Confluent accepts any letter case.
 *
 * @example
 * ```ts
 * asCompatibilityLevel("full"); // "FULL"
 * asCompatibilityLevel("LAX");  // undefined
 * ```
 */
export function asCompatibilityLevel(value: unknown): CompatibilityLevel | undefined {
  if (typeof value !== "string") return undefined;
  const upper = value.toUpperCase();
  return (COMPATIBILITY_LEVELS as readonly string[]).includes(upper) ? (upper as CompatibilityLevel) : undefined;
}

/**
 * Whether `reader` can decode what `writer` wrote.
 *
 * @example
 * ```ts
 * canRead(longType, intType); // true: Avro promotes int to long
 * canRead(intType, longType); // false
 * ```
 */
export function canRead(reader: avsc.Type, writer: avsc.Type): boolean {
  try {
    reader.createResolver(writer);
    return true;
  } catch {
    return false;
  }
}

/**
 * Whether a candidate schema may follow the existing versions of a subject (oldest first)
 * under a level: BACKWARD means the candidate reads the latest version's data, FORWARD that
 * the latest reads the candidate's, FULL both; the transitive levels check every version.
 *
 * @example
 * ```ts
 * isCompatible("BACKWARD", candidate, [v1, v2]); // candidate can read v2's data
 * isCompatible("NONE", candidate, [v1]);         // true
 * ```
 */
export function isCompatible(
  level: CompatibilityLevel,
  candidate: avsc.Type,
  existing: readonly avsc.Type[],
): boolean {
  if (level === "NONE" || existing.length === 0) return true;
  const against = level.endsWith("_TRANSITIVE") ? existing : existing.slice(-1);
  const backward = level.startsWith("BACKWARD") || level.startsWith("FULL");
  const forward = level.startsWith("FORWARD") || level.startsWith("FULL");
  return against.every(
    (previous) => (!backward || canRead(candidate, previous)) && (!forward || canRead(previous, candidate)),
  );
}
