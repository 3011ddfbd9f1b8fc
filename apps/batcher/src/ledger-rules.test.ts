import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { fenceAccepts, firstUncovered, rangeStart } from "./ledger-rules.ts";

describe("the ledger's fence", () => {
  it("accepts a range only right after the partition's end, or as the partition's first", () => {
    expect(fenceAccepts(99n, 100n)).toBe(true);
    expect(fenceAccepts(99n, 99n)).toBe(false);
    expect(fenceAccepts(99n, 50n)).toBe(false);
    expect(fenceAccepts(99n, 101n)).toBe(false);
    expect(fenceAccepts(undefined, 1234n)).toBe(true);
  });

  it("lets exactly one of any set of writers commit each offset, however their reads and ranges are cut", () => {
    // Several consumers read the same partition from arbitrary committed offsets and cut ranges of
    // arbitrary sizes; their commits arrive interleaved. Whatever the order, the committed ranges
    // tile the offsets from the first one with no overlap and no hole.
    const writer = fc.record({ start: fc.integer({ min: 0, max: 20 }), cuts: fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 8 }) });
    fc.assert(
      fc.property(fc.array(writer, { minLength: 1, maxLength: 4 }), fc.array(fc.nat(), { maxLength: 60 }), (writers, schedule) => {
        const state = writers.map((w) => ({ next: BigInt(w.start), cuts: [...w.cuts] }));
        let end: bigint | undefined;
        const committed: [bigint, bigint][] = [];
        const step = (i: number) => {
          const s = state[i]!;
          const size = s.cuts.shift();
          if (size === undefined) return;
          // A writer re-reads the ledger's end after being fenced out, and skips what it covers.
          if (end !== undefined && s.next <= end) s.next = end + 1n;
          const { first } = rangeStart(end, s.next);
          const last = s.next + BigInt(size) - 1n;
          if (fenceAccepts(end, first)) {
            committed.push([first, last]);
            end = last;
          }
          s.next = last + 1n;
        };
        for (const pick of schedule) step(pick % state.length);
        for (let i = 0; i < state.length; i++) while (state[i]!.cuts.length > 0) step(i);
        for (let k = 1; k < committed.length; k++) expect(committed[k]![0]).toBe(committed[k - 1]![1] + 1n);
      }),
      { numRuns: 500 },
    );
  });
});

describe("rangeStart", () => {
  it("starts right after the ledger's end, counting offsets that had no record", () => {
    expect(rangeStart(99n, 100n)).toEqual({ first: 100n, unseen: 0n });
    expect(rangeStart(99n, 105n)).toEqual({ first: 100n, unseen: 5n });
    expect(rangeStart(undefined, 1234n)).toEqual({ first: 1234n, unseen: 0n });
  });
});

describe("firstUncovered", () => {
  it("skips the records the ledger already covers", () => {
    const messages = ["98", "99", "100", "101"].map((offset) => ({ offset }));
    expect(firstUncovered(messages, 99n)).toBe(2);
    expect(firstUncovered(messages, undefined)).toBe(0);
    expect(firstUncovered(messages, 200n)).toBe(4);
    expect(firstUncovered([{ offset: "18446744073709551615" }], 18446744073709551614n)).toBe(0);
  });
});
