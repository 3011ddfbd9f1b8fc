import { describe, expect, it } from "vitest";
import { CodedError } from "./coded-error.ts";
import { backoffDelay, retry } from "./retry.ts";

describe("retry", () => {
  it("retries a retriable failure and returns the eventual value", async () => {
    let calls = 0;
    const value = await retry(
      async () => {
        calls++;
        if (calls < 3) throw new CodedError("FLAKY", "not yet", { retriable: true });
        return "done";
      },
      { attempts: 5, baseDelayMs: 1, maxDelayMs: 2 },
    );
    expect(value).toBe("done");
    expect(calls).toBe(3);
  });

  it("stops at the first non-retriable error", async () => {
    let calls = 0;
    const failing = retry(
      async () => {
        calls++;
        throw new CodedError("BAD_INPUT", "never works");
      },
      { attempts: 5, baseDelayMs: 1, maxDelayMs: 2 },
    );
    await expect(failing).rejects.toMatchObject({ code: "BAD_INPUT" });
    expect(calls).toBe(1);
  });

  it("gives up after the configured attempts with the last error", async () => {
    let calls = 0;
    const failing = retry(
      async () => {
        throw new CodedError("DOWN", `attempt ${++calls}`, { retriable: true });
      },
      { attempts: 3, baseDelayMs: 1, maxDelayMs: 1 },
    );
    await expect(failing).rejects.toThrow("attempt 3");
  });
});

describe("backoffDelay", () => {
  it("grows exponentially up to the cap, with full jitter", () => {
    const top = () => 0.999999;
    expect(backoffDelay(1, 100, 10_000, top)).toBe(100);
    expect(backoffDelay(4, 100, 10_000, top)).toBe(800);
    expect(backoffDelay(20, 100, 10_000, top)).toBe(10_000);
    expect(backoffDelay(4, 100, 10_000, () => 0)).toBe(0);
  });
});
