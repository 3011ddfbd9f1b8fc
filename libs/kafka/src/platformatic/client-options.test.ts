import { describe, expect, it } from "vitest";
import { baseOptions, fetchSettings, memberBackoffMs, memberOptions } from "./client-options.ts";

describe("the library's options", () => {
  it("retry requests on kafkajs's schedule: 300 ms, doubling, at most 5 s", () => {
    const retryDelay = baseOptions({ brokers: ["b:9092"], clientId: "c" }).retryDelay as (client: unknown, operation: string, attempt: number) => number;
    expect([0, 1, 2, 3, 4, 5, 6, 7].map((attempt) => retryDelay({}, "op", attempt))).toEqual([300, 300, 600, 1_200, 2_400, 4_800, 5_000, 5_000]);
  });

  it("space the group member's own retries 300 ms, doubling, at most 10 s", () => {
    expect([1, 2, 3, 4, 5, 6, 7, 30].map(memberBackoffMs)).toEqual([300, 600, 1_200, 2_400, 4_800, 9_600, 10_000, 10_000]);
  });

  it("keep a member's heartbeats well inside its session, and commits to the project's consumer", () => {
    const base = baseOptions({ brokers: ["b:9092"], clientId: "c" });
    expect(memberOptions(base, { groupId: "g", topics: ["t"] })).toMatchObject({ sessionTimeout: 30_000, heartbeatInterval: 3_000, rebalanceTimeout: 60_000, autocommit: false });
    expect(memberOptions(base, { groupId: "g", topics: ["t"], sessionTimeoutMs: 6_000 })).toMatchObject({ heartbeatInterval: 2_000, rebalanceTimeout: 60_000 });
    expect(fetchSettings({ groupId: "g", topics: ["t"] })).toEqual({ fromBeginning: true, maxWaitMs: 500, minBytes: 1, maxBytesPerPartition: 1_048_576 });
  });
});
