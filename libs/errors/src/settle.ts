import { errorKind } from "./error-kind.ts";
import { backoffDelay, sleep } from "./retry.ts";

/** The outcome of work on one input: its value, or the error that is the input's own. */
export type Settled<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: unknown };

export interface SettleOptions {
  /**
   * Whether the work's dependency answers now (a `select 1`, a metadata call). Only failures while
   * it answers count against the input; a probe that throws counts as "does not answer".
   */
  probe: () => Promise<boolean>;
  /** Infrastructure failures on the same input, while the dependency answers, before they are taken as the input's. */
  maxRepeats: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** Aborting ends the wait: the last infrastructure error is thrown (the input is read again later). */
  signal?: AbortSignal;
  /** Told of each failure that will be tried again, and whether the dependency answered. */
  onRetry?: (error: unknown, attempt: number, delayMs: number, dependencyUp: boolean) => void;
}

/**
 * Runs the work for one input until it succeeds or its fate is clear, so that no input is retried for
 * ever and no outage dead-letters anything:
 * - a content error (see `errorKind`) settles at once: `{ ok: false, error }`;
 * - an infrastructure error is tried again with full-jitter backoff for as long as the dependency does
 *   not answer (an outage: the work waits, and `onRetry` shows it);
 * - an infrastructure error that repeats `maxRepeats` times while the dependency answers is the
 *   input's after all (a statement that times out on this input only, a row that always loses).
 *
 * @example
 * ```ts
 * const placed = await settle(() => registry.evolve(app, entype, evname, observed), {
 *   probe: () => pool.query("select 1").then(() => true),
 *   maxRepeats: 3, baseDelayMs: 200, maxDelayMs: 10_000,
 * });
 * if (!placed.ok) deadLetter(event, placed.error);
 * ```
 */
export async function settle<T>(work: () => Promise<T>, options: SettleOptions): Promise<Settled<T>> {
  let repeats = 0;
  for (let attempt = 1; ; attempt++) {
    try {
      return { ok: true, value: await work() };
    } catch (error) {
      if (errorKind(error) === "content") return { ok: false, error };
      if (options.signal?.aborted) throw error;
      const up = await options.probe().catch(() => false);
      if (up && ++repeats >= options.maxRepeats) return { ok: false, error };
      const delayMs = backoffDelay(attempt, options.baseDelayMs, options.maxDelayMs);
      options.onRetry?.(error, attempt, delayMs, up);
      await sleep(delayMs, options.signal);
      if (options.signal?.aborted) throw error;
    }
  }
}
