import { CodedError } from "./coded-error.ts";
import { isRetriable } from "./error-kind.ts";

export interface RetryOptions {
  /** Attempts in all, the first included. */
  attempts: number;
  /** Delay before the second attempt; doubles each time, capped at maxDelayMs. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** Decides whether an error is worth another attempt (default: isRetriable). */
  retryIf?: (error: unknown) => boolean;
  onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
  signal?: AbortSignal;
}

/** Full-jitter exponential backoff: a uniform delay in [0, min(max, base * 2^(attempt-1))]. */
export function backoffDelay(attempt: number, baseDelayMs: number, maxDelayMs: number, random = Math.random): number {
  const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1));
  return Math.round(random() * ceiling);
}

/**
 * Runs `fn` until it succeeds, a non-retriable error is thrown, or the attempts run out;
 * the last error is rethrown.
 *
 * @example
 * const rows = await retry(() => pool.query(sql), { attempts: 5, baseDelayMs: 100, maxDelayMs: 5_000 });
 */
export async function retry<T>(fn: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
  const retryIf = options.retryIf ?? isRetriable;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (error) {
      if (attempt >= options.attempts || !retryIf(error) || options.signal?.aborted) throw error;
      const delayMs = backoffDelay(attempt, options.baseDelayMs, options.maxDelayMs);
      options.onRetry?.(error, attempt, delayMs);
      await sleep(delayMs, options.signal);
    }
  }
}

/** Resolves after `ms`, or early when the signal aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
  });
}

/**
 * Polls `check` until it returns a value other than undefined, or throws when `timeoutMs` passes.
 * For readiness checks: never a fixed sleep. Errors are what waiting looks like (a server not up yet, a
 * table not created yet), so `check` is polled through them; only a CodedError that says no retry can
 * help ends the wait at once.
 */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined>,
  options: { timeoutMs: number; intervalMs?: number },
): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      if (error instanceof CodedError && !error.retriable) throw error;
      lastError = error;
    }
    if (Date.now() >= deadline) {
      const reason = lastError instanceof Error ? `: ${lastError.message}` : "";
      throw new Error(`timed out after ${options.timeoutMs} ms waiting for ${what}${reason}`, { cause: lastError });
    }
    await sleep(options.intervalMs ?? 200);
  }
}
