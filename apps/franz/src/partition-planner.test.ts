import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { partitionRates, planPartitions, type PartitionPolicy } from "./partition-planner.ts";

const policy: PartitionPolicy = { maxRatePerPartition: 1000, maxPartitions: 16, targetUtilisation: 0.5 };

describe("partitionRates", () => {
  it("divides each partition's new messages by the elapsed seconds", () => {
    const rates = partitionRates(
      { at: 10_000, ends: new Map([[0, 100n], [1, 5n]]) },
      { at: 12_000, ends: new Map([[0, 2100n], [1, 5n], [2, 40n]]) },
    );
    expect(rates).toEqual(new Map([[0, 1000], [1, 0], [2, 20]]));
  });

  it("gives nothing for a zero or negative interval", () => {
    expect(partitionRates({ at: 5, ends: new Map([[0, 1n]]) }, { at: 5, ends: new Map([[0, 9n]]) }).size).toBe(0);
  });
});

describe("planPartitions", () => {
  it("keeps a quiet topic", () => {
    expect(planPartitions("raw.quiet", new Map([[0, 3]]), policy)).toMatchObject({ action: "keep", partitions: 1 });
  });

  it("grows a hot topic so the load spread evenly runs at the target utilisation", () => {
    const decision = planPartitions("raw.big", new Map([[0, 2500], [1, 1500]]), policy);
    expect(decision).toMatchObject({ action: "grow", partitions: 2, to: 8, totalRate: 4000, hottestRate: 2500 });
  });

  it("grows by at least one and stops at the maximum", () => {
    expect(planPartitions("raw.a", new Map([[0, 1001]]), { ...policy, targetUtilisation: 1 })).toMatchObject({ to: 2 });
    expect(planPartitions("raw.b", new Map([[0, 1e6]]), policy)).toMatchObject({ action: "grow", to: 16 });
    const full = new Map(Array.from({ length: 16 }, (_, p) => [p, 5000] as [number, number]));
    expect(planPartitions("raw.c", full, policy)).toMatchObject({ action: "keep" });
  });

  it("never shrinks and never passes the maximum, whatever the rates", () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 20 }), (rateList) => {
        const decision = planPartitions("t", new Map(rateList.map((r, p) => [p, r])), policy);
        if (decision.action === "grow") {
          expect(decision.to).toBeGreaterThan(rateList.length);
          expect(decision.to).toBeLessThanOrEqual(policy.maxPartitions);
        }
        expect(decision.partitions).toBe(rateList.length);
      }),
    );
  });
});
