/**
 * Crash points: named places where a test makes the process die as kill -9 would, to prove that
 * no crash loses or duplicates a row. Off unless a point is named (never in production).
 */

/** The places a crash is checked against: stage 1's, the loader's, then the raw archive's. */
export const CRASH_POINTS = [
  "before-upload",
  "after-upload",
  "after-ledger",
  "after-copy",
  "before-commit",
  "before-warehouse-commit",
  "archive-before-upload",
  "archive-after-upload",
  "archive-after-ledger",
  "archive-before-commit",
] as const;

export type CrashPoint = (typeof CRASH_POINTS)[number];

/** Called at each crash point. */
export type CrashHook = (point: CrashPoint) => void;

/** The hook of a production process: nothing happens. */
export const noCrash: CrashHook = () => undefined;

/**
 * A hook that SIGKILLs the process the `after`-th time `point` is reached.
 *
 * @example
 * ```ts
 * const crash = crashAt("after-upload", 2); // dies at the second upload
 * ```
 */
export function crashAt(point: CrashPoint | undefined, after = 1): CrashHook {
  if (point === undefined) return noCrash;
  let hits = 0;
  return (reached) => {
    if (reached !== point || ++hits < after) return;
    process.kill(process.pid, "SIGKILL");
  };
}
