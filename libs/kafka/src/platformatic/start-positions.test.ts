import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { committedStarts, listedStarts } from "./start-positions.ts";

describe("committedStarts", () => {
  it("resumes partitions at their committed offset and lists those without one", () => {
    const assignments = [
      { topic: "raw.a", partitions: [0, 1, 2] },
      { topic: "raw.b", partitions: [3] },
    ];
    // -1: never committed; partition 2 of raw.a and all of raw.b not listed at all.
    const committed = new Map([["raw.a", [7n, -1n]]]);
    expect(committedStarts(assignments, committed)).toEqual({
      start: new Map([["raw.a:0", 7n]]),
      missing: new Map([
        ["raw.a", [1, 2]],
        ["raw.b", [3]],
      ]),
    });
  });

  it("places every assigned partition in exactly one of the two", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 0, max: 7 }), { maxLength: 8 }),
        fc.array(fc.bigInt({ min: -1n, max: 1_000n }), { maxLength: 8 }),
        (partitions, offsets) => {
          const { start, missing } = committedStarts([{ topic: "t", partitions }], new Map([["t", offsets]]));
          for (const p of partitions) {
            const committed = offsets[p];
            if (committed !== undefined && committed >= 0n) expect(start.get(`t:${p}`)).toBe(committed);
            else expect(missing.get("t")).toContain(p);
          }
          expect(start.size + (missing.get("t")?.length ?? 0)).toBe(partitions.length);
        },
      ),
    );
  });
});

describe("listedStarts", () => {
  it("takes each partition's listed offset, and skips one the listing lacks", () => {
    const partitions = new Map([
      ["raw.a", [0, 2]],
      ["raw.b", [1]],
    ]);
    const listed = new Map([["raw.a", [10n, 11n, 12n]]]);
    expect(listedStarts(partitions, listed)).toEqual(new Map([["raw.a:0", 10n], ["raw.a:2", 12n]]));
  });
});
