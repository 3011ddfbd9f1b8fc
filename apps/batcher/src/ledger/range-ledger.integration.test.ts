import { test } from "@schematizer/testing";
import fc from "fast-check";
import { describe, expect } from "vitest";
import { migrateLedger } from "./ledger-migrations.ts";
import { rangeStart } from "./range-fence.ts";
import { createRangeLedger, type RangeLedger } from "./range-ledger.ts";

/** Commits an empty range of offsets `first`..`last` of a partition. */
const commit = (ranges: RangeLedger, partition: number, first: bigint, last: bigint) =>
  ranges.commitRange({ topic: "sql.acme", partition, first, last, unseen: 0n, files: [], rejected: [] });

describe("the range ledger's fence", () => {
  test("accepts a range only right after the partition's end, or as the partition's first", async ({ db }) => {
    await migrateLedger(db.pool, db.schema);
    const ranges = createRangeLedger(db.pool, db.schema);
    expect(await commit(ranges, 0, 1234n, 1299n)).toBe(true);
    expect(await ranges.partitionEnd("sql.acme", 0)).toBe(1299n);
    expect(await commit(ranges, 0, 1299n, 1310n)).toBe(false);
    expect(await commit(ranges, 0, 50n, 1400n)).toBe(false);
    expect(await commit(ranges, 0, 1301n, 1310n)).toBe(false);
    expect(await commit(ranges, 0, 1300n, 1310n)).toBe(true);
    expect(await ranges.partitionEnd("sql.acme", 0)).toBe(1310n);
  });

  test("lets exactly one of any set of writers commit each offset, however their reads and ranges are cut", async ({ db }) => {
    // Several consumers read the same partition from arbitrary committed offsets and cut ranges of
    // arbitrary sizes; their commits arrive interleaved. Whatever the order, the committed ranges
    // tile the offsets from the first one with no overlap and no hole. Each run is a partition.
    await migrateLedger(db.pool, db.schema);
    const ranges = createRangeLedger(db.pool, db.schema);
    let partition = 0;
    const writer = fc.record({ start: fc.integer({ min: 0, max: 20 }), cuts: fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 8 }) });
    await fc.assert(
      fc.asyncProperty(fc.array(writer, { minLength: 1, maxLength: 4 }), fc.array(fc.nat(), { maxLength: 60 }), async (writers, schedule) => {
        const p = partition++;
        const state = writers.map((w) => ({ next: BigInt(w.start), cuts: [...w.cuts] }));
        const committed: [bigint, bigint][] = [];
        const step = async (i: number) => {
          const s = state[i]!;
          const size = s.cuts.shift();
          if (size === undefined) return;
          // A writer re-reads the ledger's end after being fenced out, and skips what it covers.
          const end = await ranges.partitionEnd("sql.acme", p);
          if (end !== undefined && s.next <= end) s.next = end + 1n;
          const { first } = rangeStart(end, s.next);
          const last = s.next + BigInt(size) - 1n;
          if (await commit(ranges, p, first, last)) committed.push([first, last]);
          s.next = last + 1n;
        };
        for (const pick of schedule) await step(pick % state.length);
        for (let i = 0; i < state.length; i++) while (state[i]!.cuts.length > 0) await step(i);
        for (let k = 1; k < committed.length; k++) expect(committed[k]![0]).toBe(committed[k - 1]![1] + 1n);
      }),
      { numRuns: 100 },
    );
  });
});
