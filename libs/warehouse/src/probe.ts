/**
 * Whether a dependency answers now: the question `settle`'s rule asks after an infrastructure
 * failure, so that failures during an outage count against no input. The loader asks it of the
 * warehouse and its bucket; the batcher's stage 1 and ledger ask it of theirs with `answers`.
 */
import type { ObjectStore } from "@schematizer/s3";
import type pg from "pg";

/**
 * True when every check resolves within `timeoutMs`; false when one rejects or is late (a
 * server that does not answer is down, whatever the reason).
 *
 * @example
 * ```ts
 * await answers([pool.query("SELECT 1"), store.head("_sz_probe")], 5_000); // true when both answer
 * ```
 */
export async function answers(checks: readonly Promise<unknown>[], timeoutMs = 5_000): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  const answered = Promise.all(checks).then(
    () => true,
    () => false,
  );
  try {
    return await Promise.race([answered, late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Whether a warehouse and the bucket its loads read answer now: `select 1`, and a HEAD in the
 * bucket (a missing key is an answer). Failures while they do not answer are an outage, counted
 * against no batch. Neither may take longer than `timeoutMs`.
 *
 * @example
 * ```ts
 * if (!(await probeWarehouse(pool, store))) log.warn("warehouse or bucket down: waiting");
 * ```
 */
export function probeWarehouse(pool: pg.Pool, store: ObjectStore, timeoutMs = 5_000): Promise<boolean> {
  return answers([pool.query("SELECT 1"), store.head("_sz_probe")], timeoutMs);
}
