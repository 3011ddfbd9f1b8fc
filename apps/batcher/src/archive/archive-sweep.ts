/**
 * Deletes the archive files that can never be committed (archive-ledger.ts's dead files: uploads a
 * crash left between upload and commit), objects first and their ledger rows after, so a crash in
 * between only leaves rows that the next sweep finds again.
 */
import type { ObjectStore } from "@schematizer/s3";
import type { ArchiveLedger } from "../ledger/archive-ledger.ts";

/** Keys per round: one S3 DeleteObjects request. */
const ROUND = 1_000;

/**
 * Deletes every dead file; resolves with how many.
 *
 * @example
 * ```ts
 * await sweepDeadFiles(ledger.archive, store); // 2
 * ```
 */
export async function sweepDeadFiles(archive: Pick<ArchiveLedger, "deadFiles" | "forget">, store: Pick<ObjectStore, "delete">): Promise<number> {
  let deleted = 0;
  for (;;) {
    const keys = await archive.deadFiles(ROUND);
    if (keys.length === 0) return deleted;
    await store.delete(keys);
    await archive.forget(keys);
    deleted += keys.length;
    if (keys.length < ROUND) return deleted;
  }
}
