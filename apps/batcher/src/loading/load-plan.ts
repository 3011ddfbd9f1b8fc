/**
 * The loader's decisions as pure functions: which pending files of a table go into the next load,
 * and when a failed load is tried again.
 */
import { backoffDelay } from "@schematizer/errors";
import type { PendingFile } from "../ledger/load-queue.ts";

/** How the loader gathers a table's pending files into one load. */
export interface CoalesceLimits {
  /** How long the oldest pending file may wait for more to join it (0: load at once). */
  readonly maxAgeMs: number;
  /** Rows that make a load worth running before `maxAgeMs`. */
  readonly minRows: number;
  readonly maxFiles: number;
  readonly maxRows: number;
}


/** What to do with a table now. */
export type TableDecision =
  | { readonly kind: "load"; readonly files: readonly PendingFile[] }
  | { readonly kind: "wait"; readonly untilMs: number }
  | { readonly kind: "idle" };

/**
 * The next load of a table, from its pending files in ledger order. A parked file holds nothing
 * back: it is passed over, and the files after it load. No later file needs it first: each load
 * brings the table to the newer of its own version and the table's (versions only add columns and
 * widen types, so a version's DDL contains every earlier one's), an older file loads into a newer
 * table unchanged, and rows are inserted only for `_sz_id`s the table lacks, so loading the parked
 * file later gives the same rows. (Of two copies of one id in different files, the one loaded
 * first stays; copies of one id are the same event sent again.)
 *
 * For the same reason a file waiting out the backoff of a failed load is passed over too. The
 * first file that is due is the head: if it failed before it is loaded alone, so a bad file is
 * pinned down; otherwise it is joined by the following due files of the same schema version, up
 * to the limits. Small loads wait up to `maxAgeMs` for more rows.
 *
 * @example
 * ```ts
 * nextLoad(files, { maxAgeMs: 0, minRows: 1, maxFiles: 64, maxRows: 400_000 }, Date.now());
 * // { kind: "load", files: [b1, b2] }
 * ```
 */
export function nextLoad(unloaded: readonly PendingFile[], limits: CoalesceLimits, nowMs: number): TableDecision {
  const pending = unloaded.filter((b) => b.state === "pending");
  if (pending.length === 0) return { kind: "idle" };
  const due = pending.filter((b) => b.nextAttemptAt === null || b.nextAttemptAt.getTime() <= nowMs);
  const head = due[0];
  if (head === undefined) return { kind: "wait", untilMs: Math.min(...pending.map((b) => (b.nextAttemptAt as Date).getTime())) };
  if (head.attempts > 0) return { kind: "load", files: [head] };
  const files: PendingFile[] = [head];
  let rows = head.rows;
  for (const next of due.slice(1)) {
    if (next.schemaId !== head.schemaId || next.attempts > 0) break;
    if (files.length >= limits.maxFiles || rows + next.rows > limits.maxRows) break;
    files.push(next);
    rows += next.rows;
  }
  const dueMs = head.createdAt.getTime() + limits.maxAgeMs;
  const complete = files.length < pending.length; // more rows are already waiting behind this load
  if (rows < limits.minRows && !complete && nowMs < dueMs) return { kind: "wait", untilMs: dueMs };
  return { kind: "load", files };
}

/**
 * When a load that failed for the `attempts`-th time is tried again: full-jitter exponential
 * backoff, so replicas that failed together do not retry together.
 *
 * @example
 * ```ts
 * retryAt(3, { baseMs: 1_000, maxMs: 300_000 }, Date.now()); // within the next 4 s
 * ```
 */
export function retryAt(attempts: number, backoff: { baseMs: number; maxMs: number }, nowMs: number, random = Math.random): Date {
  return new Date(nowMs + backoffDelay(attempts, backoff.baseMs, backoff.maxMs, random));
}
