import { describe, expect, it } from "vitest";
import { CodedError } from "./coded-error.ts";
import { settle } from "./settle.ts";

const down = () => Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" });
const fast = { baseDelayMs: 1, maxDelayMs: 2 };

describe("settle", () => {
  it("returns the value of work that succeeds, after outages of any length", async () => {
    let calls = 0;
    const retried: boolean[] = [];
    const result = await settle(
      async () => {
        if (++calls < 20) throw down();
        return "placed";
      },
      { ...fast, probe: async () => false, maxRepeats: 3, onRetry: (_e, _a, _d, up) => retried.push(up) },
    );
    expect(result).toEqual({ ok: true, value: "placed" });
    // 19 failures while the dependency did not answer: none counted against the input.
    expect(retried).toHaveLength(19);
    expect(retried.every((up) => !up)).toBe(true);
  });

  it("settles a content error at once, without a second attempt", async () => {
    let calls = 0;
    const bad = Object.assign(new Error("invalid byte sequence for encoding UTF8: 0x00"), { code: "22021" });
    const result = await settle(
      async () => {
        calls++;
        throw bad;
      },
      { ...fast, probe: async () => true, maxRepeats: 3 },
    );
    expect(result).toEqual({ ok: false, error: bad });
    expect(calls).toBe(1);
  });

  it("takes an infrastructure error that repeats while the dependency answers as the input's", async () => {
    let calls = 0;
    const result = await settle(
      async () => {
        calls++;
        throw new CodedError("REGISTRY_CONFLICT", "lost again", { retriable: true });
      },
      { ...fast, probe: async () => true, maxRepeats: 3 },
    );
    expect(result.ok).toBe(false);
    expect(calls).toBe(3);
  });

  it("counts a probe that throws as a dependency that does not answer", async () => {
    let calls = 0;
    const result = await settle(
      async () => {
        if (++calls < 6) throw down();
        return calls;
      },
      {
        ...fast,
        maxRepeats: 2,
        probe: async () => {
          throw down();
        },
      },
    );
    expect(result).toEqual({ ok: true, value: 6 });
  });

  it("gives the input back when stopping, rather than deciding its fate", async () => {
    const stop = new AbortController();
    const running = settle(
      async () => {
        throw down();
      },
      { baseDelayMs: 60_000, maxDelayMs: 60_000, probe: async () => false, maxRepeats: 3, signal: stop.signal },
    );
    setTimeout(() => stop.abort(), 10);
    await expect(running).rejects.toThrow("ECONNREFUSED");
  });
});
