import { describe, expect, it } from "vitest";
import { batchLimit, createThrottle, pace } from "./throttle.ts";

describe("batchLimit", () => {
  it("is a tenth of a second's events, between 1 and the most a send holds", () => {
    expect(batchLimit(5000, 500)).toBe(500);
    expect(batchLimit(100_000, 500)).toBe(500);
    expect(batchLimit(100, 500)).toBe(10);
    expect(batchLimit(3, 500)).toBe(1);
  });
});

describe("pace", () => {
  it("sends at once when the throttle is free, else when it is, and keeps it busy count / rate seconds", () => {
    expect(pace({ nextAtMs: Number.NEGATIVE_INFINITY, nowMs: 0, count: 500, rate: 5000 })).toEqual({ waitMs: 0, nextAtMs: 100 });
    expect(pace({ nextAtMs: 100, nowMs: 40, count: 500, rate: 5000 })).toEqual({ waitMs: 60, nextAtMs: 200 });
    expect(pace({ nextAtMs: 100, nowMs: 900, count: 500, rate: 5000 })).toEqual({ waitMs: 0, nextAtMs: 1000 });
    expect(pace({ nextAtMs: 0, nowMs: 0, count: 1, rate: 3 })).toEqual({ waitMs: 0, nextAtMs: 1000 / 3 });
  });
});

describe("createThrottle", () => {
  it("keeps every second at or under the rate, on the clock it is given, and saves no time up over a pause", async () => {
    let now = 1_000;
    const sent: [number, number][] = [];
    const throttle = createThrottle(1000, { now: () => now, sleep: (ms) => Promise.resolve(void (now += ms)) });
    const take = async (count: number) => {
      await throttle.take(count);
      sent.push([now, count]);
    };
    for (let i = 0; i < 5; i++) await take(100);
    now += 2_000; // a slow download
    for (let i = 0; i < 5; i++) await take(100);
    expect(sent.map(([at]) => at)).toEqual([1_000, 1_100, 1_200, 1_300, 1_400, 3_400, 3_500, 3_600, 3_700, 3_800]);
    for (const [at] of sent) {
      const inSecond = sent.filter(([t]) => t >= at && t < at + 1_000).reduce((n, [, c]) => n + c, 0);
      expect(inSecond).toBeLessThanOrEqual(1000);
    }
  });
});
