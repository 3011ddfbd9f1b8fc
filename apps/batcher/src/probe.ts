/**
 * Whether a dependency answers now: the question `settle`'s rule asks after an infrastructure
 * failure, so that failures during an outage count against no input.
 */

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
