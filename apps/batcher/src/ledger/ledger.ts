/**
 * The ledger in the control database: which Kafka offsets are in committed files, and what became
 * of each file. One object per kind of caller, over one pool:
 * - `ranges` (range-ledger.ts): stage 1 commits ranges, fenced;
 * - `queue` (load-queue.ts): stage 2 takes pending files, marks them loaded, retried or parked, and
 *   hears of new work;
 * - `setAside` (set-aside-ledger.ts): rows the warehouse refused, kept and brought back;
 * - `operators` (operator-queries.ts): parked files and each app's backlog, for operators and metrics;
 * - `archive` (archive-ledger.ts): the raw archive's files, committed through the same fence.
 * Its tables and migrations are in ledger-migrations.ts.
 */
import { answers } from "@schematizer/warehouse";
import type pg from "pg";
import { createArchiveLedger, type ArchiveLedger } from "./archive-ledger.ts";
import { createLoadQueue, type LoadQueue } from "./load-queue.ts";
import { createOperatorQueries, type OperatorQueries } from "./operator-queries.ts";
import { createRangeLedger, type RangeLedger } from "./range-ledger.ts";
import { createSetAsideLedger, type SetAsideLedger } from "./set-aside-ledger.ts";

export { migrateLedger } from "./ledger-migrations.ts";
export type { QueuedFile } from "./load-queue.ts";
export type { AppBacklog, ParkedFile } from "./operator-queries.ts";
export type { NewFile, RangeCommit } from "./range-ledger.ts";

export interface Ledger {
  readonly ranges: RangeLedger;
  readonly queue: LoadQueue;
  readonly setAside: SetAsideLedger;
  readonly operators: OperatorQueries;
  readonly archive: ArchiveLedger;
  /** Whether the control database answers now (`select 1`). */
  probe(): Promise<boolean>;
}

/**
 * The ledger in `schema` over the control database's pool (the caller owns and ends the pool).
 *
 * @example
 * ```ts
 * const ledger = createLedger(pool, "batcher");
 * if (await ledger.ranges.commitRange(range)) console.log("committed");
 * ```
 */
export function createLedger(pool: pg.Pool, schema: string): Ledger {
  return {
    ranges: createRangeLedger(pool, schema),
    queue: createLoadQueue(pool, schema),
    setAside: createSetAsideLedger(pool, schema),
    operators: createOperatorQueries(pool, schema),
    archive: createArchiveLedger(pool, schema),
    probe: () => answers([pool.query("SELECT 1")]),
  };
}
