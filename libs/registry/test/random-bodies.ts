/**
 * Deterministic random event bodies for the concurrency tests: overlapping field sets drawn from
 * one universe, with types that make columns widen (int → double, timestamp → text).
 */
import type { JsonObject } from "@schematizer/schema";

/** A small, fast, seedable PRNG (mulberry32). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function valueFor(field: number, random: () => number): string | number | boolean {
  switch (field % 4) {
    case 0:
      return random() < 0.8 ? Math.floor(random() * 1000) : random() * 1000 + 0.5;
    case 1:
      return random() < 0.5;
    case 2:
      return random() < 0.7 ? "2015-01-01T00:31:32Z" : `text ${Math.floor(random() * 100)}`;
    default:
      return Math.floor(random() * 1_000_000);
  }
}

/**
 * `count` bodies of 1–8 fields each from a universe of `universe` fields; a quarter of the
 * fields nest under `ctx`.
 *
 * @example
 * ```ts
 * randomBodies(7, 3); // [{ f3: 12, ctx: { f9: 998 } }, …]
 * ```
 */
export function randomBodies(seed: number, count: number, universe = 40): JsonObject[] {
  const random = prng(seed);
  const bodies: JsonObject[] = [];
  for (let i = 0; i < count; i++) {
    const body: Record<string, string | number | boolean | Record<string, string | number | boolean>> = {};
    const size = 1 + Math.floor(random() * 8);
    for (let k = 0; k < size; k++) {
      const field = Math.floor(random() * universe);
      const value = valueFor(field, random);
      if (field % 4 === 3 && field > universe / 2) {
        const ctx = (body.ctx ??= {}) as Record<string, string | number | boolean>;
        ctx[`f${field}`] = value;
      } else body[`f${field}`] = value;
    }
    bodies.push(body);
  }
  return bodies;
}
