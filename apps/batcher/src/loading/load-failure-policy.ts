/**
 * What the loader does with a load that failed: a pure decision, the rule of libs/errors' `settle`
 * applied to files whose retries are spread over time (the ledger holds the count, so it
 * survives restarts):
 * - an error of the file's content is never retried: the file is parked with its reason (a
 *   load of several files is first split, so the one at fault is found and the others load);
 * - an infrastructure error is retried with backoff. It counts against the file only while the
 *   dependencies answer a probe: an outage parks nothing, however long; a failure that repeats
 *   while they answer (a statement that always times out, a conflict always lost) parks the file
 *   after `maxFailures`.
 */
import type { CodedError } from "@schematizer/errors";
import type { BatcherCode } from "../batcher-codes.ts";
import { fateOf } from "@schematizer/warehouse";

export interface FailedLoad {
  /** The failure, classified (see classifyLoadError). */
  readonly error: CodedError;
  /** Files in the load that failed. */
  readonly files: number;
  /** Failures already counted against the load's first file. */
  readonly strikes: number;
  /** Whether the warehouse, the bucket and the control database answered a probe after the failure. */
  readonly dependenciesAnswer: boolean;
  /** Counted failures after which a file is parked. */
  readonly maxFailures: number;
}

export type FailureVerdict =
  /** Try the same load again after a backoff; `counted` adds a strike to its files. */
  | { readonly kind: "retry"; readonly counted: boolean }
  /** Try the load's files again at once, one at a time, to find the one at fault. */
  | { readonly kind: "split" }
  /** Park the (single) file with this code and reason. */
  | { readonly kind: "park"; readonly code: string; readonly reason: string };

/**
 * The verdict on a failed load.
 *
 * @example
 * ```ts
 * failureVerdict({ error, files: 1, strikes: 0, dependenciesAnswer: false, maxFailures: 10 }); // { kind: "retry", counted: false }
 * ```
 */
export function failureVerdict(failed: FailedLoad): FailureVerdict {
  const { error } = failed;
  if (fateOf(error) === "retried") {
    if (!failed.dependenciesAnswer) return { kind: "retry", counted: false };
    if (failed.strikes + 1 < failed.maxFailures) return { kind: "retry", counted: true };
    if (failed.files > 1) return { kind: "split" };
    const code: BatcherCode = "BATCHER_RETRIES_EXHAUSTED";
    return { kind: "park", code, reason: `failed ${failed.maxFailures} times while the warehouse answered; last: ${error.code}: ${error.message}` };
  }
  if (failed.files > 1) return { kind: "split" };
  return { kind: "park", code: error.code, reason: error.message };
}
