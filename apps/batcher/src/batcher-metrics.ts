import type { Consumer } from "@schematizer/kafka";
import { assignedPartitionsGauge, partitionGauge, type Assignments } from "@schematizer/observability";
import { Counter, Gauge, Histogram, type Registry } from "prom-client";

const SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

/**
 * What a process's group members read now, together; undefined before any runs.
 *
 * @example
 * ```ts
 * partitionGauge({ name, help, registers, assignments: assignmentsOf(() => consumers) });
 * ```
 */
export function assignmentsOf(consumers: () => readonly Consumer[]): Assignments {
  return () => {
    const members = consumers();
    if (members.length === 0) return undefined;
    const all = new Map<string, number[]>();
    for (const member of members) for (const [topic, partitions] of member.assignments()) all.set(topic, [...(all.get(topic) ?? []), ...partitions]);
    return all;
  };
}

/** What the batcher measures; one set per instance. */
export function batcherMetrics(registry: Registry, consumers: () => readonly Consumer[] = () => []) {
  const registers = [registry];
  const assignments = assignmentsOf(consumers);
  return {
    partitionsConsumed: assignedPartitionsGauge({ name: "batcher_partitions_consumed", help: "Partitions of each sql topic this replica's group members are assigned now", registers, assignments }),
    recordsSkipped: new Counter({
      name: "batcher_records_skipped_total",
      help: "Records read again whose offsets the ledger already covers (after a restart or rebalance)",
      labelNames: ["topic"] as const,
      registers,
    }),
    recordsRejected: new Counter({
      name: "batcher_records_rejected_total",
      help: "Records that could not be decoded, kept under rejects/ and in rejected_records, by reason",
      labelNames: ["app", "reason"] as const,
      registers,
    }),
    unseenOffsets: new Counter({
      name: "batcher_unseen_offsets_total",
      help: "Offsets a range covered without a record to read (transaction markers, retention, a consumer offset moved past the ledger)",
      labelNames: ["topic"] as const,
      registers,
    }),
    cellsMoved: new Counter({
      name: "batcher_cells_moved_to_unmapped_total",
      help: "Cells whose text a warehouse cannot hold (NUL, lone surrogate), written to _sz_unmapped instead",
      labelNames: ["app"] as const,
      registers,
    }),
    rowsFlushed: new Counter({ name: "batcher_rows_flushed_total", help: "Rows written to batch files and committed to the ledger", labelNames: ["app"] as const, registers }),
    bytesFlushed: new Counter({
      name: "batcher_bytes_flushed_total",
      help: "Bytes of committed batch files, uncompressed CSV and gzip",
      labelNames: ["app", "encoding"] as const,
      registers,
    }),
    fenced: new Counter({ name: "batcher_ranges_fenced_total", help: "Ranges another consumer had committed first (discarded)", labelNames: ["topic"] as const, registers }),
    batchRows: new Histogram({
      name: "batcher_batch_rows",
      help: "Rows per batch file",
      buckets: [1, 10, 100, 1_000, 10_000, 50_000, 100_000, 500_000, 1_000_000],
      registers,
    }),
    batchBytes: new Histogram({
      name: "batcher_batch_bytes",
      help: "gzip bytes per batch file",
      buckets: [1e3, 1e4, 1e5, 1e6, 5e6, 2e7, 1e8, 5e8],
      registers,
    }),
    uploadSeconds: new Histogram({ name: "batcher_s3_upload_seconds", help: "Time to upload one range's files", buckets: SECONDS, registers }),
    flushSeconds: new Histogram({ name: "batcher_flush_seconds", help: "Time from a fetched batch to its ledger commit", buckets: SECONDS, registers }),
    loadSeconds: new Histogram({ name: "batcher_load_seconds", help: "Time of one load transaction (DDL, COPY, merge)", labelNames: ["dialect"] as const, buckets: SECONDS, registers }),
    rowsLoaded: new Counter({ name: "batcher_rows_loaded_total", help: "Rows inserted into warehouse tables", labelNames: ["app"] as const, registers }),
    rowsDuplicate: new Counter({
      name: "batcher_rows_duplicate_total",
      help: "Rows not inserted because their _sz_id was in the table or earlier in the batch",
      labelNames: ["app"] as const,
      registers,
    }),
    batchesLoaded: new Counter({ name: "batcher_batches_loaded_total", help: "Batch files loaded", labelNames: ["app"] as const, registers }),
    loadFailures: new Counter({ name: "batcher_load_failures_total", help: "Failed loads, by coded reason", labelNames: ["app", "reason"] as const, registers }),
    rowsSetAside: new Counter({
      name: "batcher_rows_set_aside_total",
      help: "Rows the warehouse refused, set aside with their reason while the rest of their file loaded (npm run batcher -- set-aside)",
      labelNames: ["app", "reason"] as const,
      registers,
    }),
    batchesParked: new Counter({
      name: "batcher_batches_parked_total",
      help: "Batches parked because they cannot load, or failed BATCHER_MAX_LOAD_FAILURES times while the warehouse answered, by coded reason",
      labelNames: ["app", "reason"] as const,
      registers,
    }),
    batchesRetried: new Histogram({
      name: "batcher_batches_retried",
      help: "Failed attempts of a batch before it loaded or was parked",
      buckets: [0, 1, 2, 3, 5, 8, 13, 21, 34],
      registers,
    }),
    parked: new Gauge({ name: "batcher_parked_batches", help: "Batches parked until an operator acts, by app", labelNames: ["app"] as const, registers }),
    pending: new Gauge({ name: "batcher_pending_batches", help: "Batches committed to the ledger and not yet loaded", labelNames: ["app"] as const, registers }),
    freshness: new Gauge({
      name: "batcher_freshness_seconds",
      help: "Now minus the received time of the oldest row in the ledger not yet loaded (0 when all is loaded)",
      labelNames: ["app"] as const,
      registers,
    }),
    ledgerLag: partitionGauge({
      name: "batcher_ledger_lag_messages",
      help: "Records in the partition after the ledger's end (not yet in a committed file), when last fetched, per partition this replica reads",
      registers,
      assignments,
    }),
    commitLag: new Gauge({
      name: "batcher_kafka_commit_behind_ledger",
      help: "Ledger end + 1 minus the consumer group's committed offset (records that would be skipped after a restart)",
      labelNames: ["topic", "partition"] as const,
      registers,
    }),
  };
}

export type BatcherMetrics = ReturnType<typeof batcherMetrics>;
