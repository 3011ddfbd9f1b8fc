/**
 * Keeps a stream of sends at or under a rate (events per second), so that an operator's bulk
 * send (`replay`) leaves room for the live events. The arithmetic is pure; `createThrottle` only
 * waits on the clock it is given.
 */

/** Sends per second a throttle aims at: small sends at low rates, so the rate holds within a second. */
const SENDS_PER_SECOND = 10;

/**
 * Most events in one send at `rate` events/s: about a tenth of a second's worth, at least 1 and
 * at most `max`.
 *
 * @example
 * batchLimit(5000, 500); // 500
 * batchLimit(100, 500); // 10
 * batchLimit(3, 500); // 1
 */
export function batchLimit(rate: number, max: number): number {
  return Math.max(1, Math.min(max, Math.floor(rate / SENDS_PER_SECOND)));
}

/**
 * When `count` events may be sent, the throttle's next free time being `nextAtMs`: at once if it
 * has passed, else then; and the next free time after them, `count / rate` seconds later. Time not
 * used is not saved up, so a pause (a slow download) is never followed by a burst above the rate.
 *
 * @example
 * pace({ nextAtMs: 0, nowMs: 0, count: 500, rate: 5000 }); // { waitMs: 0, nextAtMs: 100 }
 * pace({ nextAtMs: 100, nowMs: 40, count: 500, rate: 5000 }); // { waitMs: 60, nextAtMs: 200 }
 * pace({ nextAtMs: 100, nowMs: 900, count: 500, rate: 5000 }); // { waitMs: 0, nextAtMs: 1000 }
 */
export function pace(p: { nextAtMs: number; nowMs: number; count: number; rate: number }): { waitMs: number; nextAtMs: number } {
  const at = Math.max(p.nowMs, p.nextAtMs);
  return { waitMs: at - p.nowMs, nextAtMs: at + (p.count * 1000) / p.rate };
}

export interface Throttle {
  /** Resolves when `count` more events may be sent. */
  take(count: number): Promise<void>;
}

/**
 * A throttle at `rate` events/s.
 *
 * @example
 * const throttle = createThrottle(5000);
 * await throttle.take(500); // at once
 * await throttle.take(500); // 100 ms later
 */
export function createThrottle(
  rate: number,
  clock: { now: () => number; sleep: (ms: number) => Promise<void> } = { now: () => performance.now(), sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)) },
): Throttle {
  let nextAtMs = Number.NEGATIVE_INFINITY;
  return {
    async take(count) {
      const next = pace({ nextAtMs, nowMs: clock.now(), count, rate });
      nextAtMs = next.nextAtMs;
      if (next.waitMs > 0) await clock.sleep(next.waitMs);
    },
  };
}
