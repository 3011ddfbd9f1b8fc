import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { failureVerdict, type FailedLoad } from "./load-failure-policy.ts";
import { classifyLoadError } from "@schematizer/warehouse";

const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5439"), { code: "ECONNREFUSED" });
const timeout = Object.assign(new Error("canceling statement due to statement timeout"), { code: "57014" });
const missing = classifyLoadError(Object.assign(new Error("permission denied for table t"), { code: "42501" }));
const base = { files: 1, strikes: 0, dependenciesAnswer: true, maxFailures: 3 };

describe("failureVerdict", () => {
  it("never counts a failure while the dependencies do not answer: an outage parks nothing", () => {
    fc.assert(
      fc.property(fc.nat({ max: 1_000 }), fc.integer({ min: 1, max: 20 }), fc.integer({ min: 1, max: 64 }), (strikes, maxFailures, files) => {
        const failed: FailedLoad = { error: classifyLoadError(refused), files, strikes, dependenciesAnswer: false, maxFailures };
        expect(failureVerdict(failed)).toEqual({ kind: "retry", counted: false });
      }),
    );
  });

  it("counts a transient failure while they answer, and parks the file at the bound with the last error", () => {
    const error = classifyLoadError(timeout);
    expect(failureVerdict({ ...base, error, strikes: 0 })).toEqual({ kind: "retry", counted: true });
    expect(failureVerdict({ ...base, error, strikes: 1 })).toEqual({ kind: "retry", counted: true });
    expect(failureVerdict({ ...base, error, strikes: 2 })).toEqual({
      kind: "park",
      code: "BATCHER_RETRIES_EXHAUSTED",
      reason: "failed 3 times while the warehouse answered; last: BATCHER_WAREHOUSE_UNAVAILABLE: canceling statement due to statement timeout",
    });
    expect(failureVerdict({ ...base, error, strikes: 2, files: 4 })).toEqual({ kind: "split" });
  });

  it("parks a file at once for an error of its own, after splitting a load of several", () => {
    expect(failureVerdict({ ...base, error: missing })).toEqual({ kind: "park", code: "BATCHER_NOT_PERMITTED", reason: "permission denied for table t" });
    expect(failureVerdict({ ...base, error: missing, files: 2 })).toEqual({ kind: "split" });
    expect(failureVerdict({ ...base, error: classifyLoadError(new Error("nobody saw this coming")) })).toMatchObject({ kind: "park", code: "BATCHER_LOAD_FAILED" });
  });
});
