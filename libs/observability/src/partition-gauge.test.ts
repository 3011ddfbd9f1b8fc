import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { partitionGauge } from "./partition-gauge.ts";

describe("a per-partition gauge", () => {
  it("reports the partitions read now, and forgets one once it is handed to another replica", async () => {
    const registry = new Registry();
    let assigned: Map<string, number[]> | undefined;
    const lag = partitionGauge({ name: "test_lag_seconds", help: "lag", registers: [registry], assignments: () => assigned });
    lag.set("raw.acme", 0, 12);
    lag.set("raw.acme", 1, 3);
    const series = async () => (await registry.getSingleMetric("test_lag_seconds")!.get()).values.map((v) => [v.labels.partition, v.value]);
    // Nothing says which partitions are read (no consumer yet): everything set is reported.
    expect(await series()).toEqual([["0", 12], ["1", 3]]);
    assigned = new Map([["raw.acme", [1]]]);
    expect(await series()).toEqual([["1", 3]]);
    // Given back later, the partition is reported again from its next value on, not its old one.
    assigned = new Map([["raw.acme", [0, 1]]]);
    expect(await series()).toEqual([["1", 3]]);
    lag.set("raw.acme", 0, 0.5);
    expect(await series()).toEqual([["1", 3], ["0", 0.5]]);
  });
});
