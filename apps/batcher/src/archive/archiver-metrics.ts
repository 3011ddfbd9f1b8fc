import type { Consumer } from "@schematizer/kafka";
import { assignedPartitionsGauge, partitionGauge } from "@schematizer/observability";
import { Counter, Histogram, type Registry } from "prom-client";
import { assignmentsOf } from "../batcher-metrics.ts";

const SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

/** What the raw archive measures; one set per batcher process. */
export function archiverMetrics(registry: Registry, consumers: () => readonly Consumer[]) {
  const registers = [registry];
  const assignments = assignmentsOf(consumers);
  return {
    partitionsConsumed: assignedPartitionsGauge({ name: "archiver_partitions_consumed", help: "Partitions of each raw topic this replica archives now", registers, assignments }),
    eventsArchived: new Counter({ name: "archiver_events_archived_total", help: "Events written to the raw archive in committed files", labelNames: ["app"] as const, registers }),
    eventsSkipped: new Counter({
      name: "archiver_events_skipped_total",
      help: "Records of raw topics not archived: sent again by an operator (resent, already archived) or with no value (no_value)",
      labelNames: ["app", "reason"] as const,
      registers,
    }),
    filesArchived: new Counter({ name: "archiver_files_total", help: "Files of the raw archive committed", labelNames: ["app"] as const, registers }),
    bytesArchived: new Counter({ name: "archiver_bytes_total", help: "gzip bytes of the raw archive's committed files", labelNames: ["app"] as const, registers }),
    recordsSkipped: new Counter({
      name: "archiver_records_read_again_total",
      help: "Records read again whose offsets the archive already covers (after a restart or rebalance)",
      labelNames: ["topic"] as const,
      registers,
    }),
    fenced: new Counter({ name: "archiver_ranges_fenced_total", help: "Ranges another archiver had committed first (its files deleted)", labelNames: ["topic"] as const, registers }),
    writeFailures: new Counter({
      name: "archiver_write_failures_total",
      help: "Failed attempts to write and commit a range of the archive (S3 or the control database), retried with backoff",
      labelNames: ["topic"] as const,
      registers,
    }),
    deadFilesDeleted: new Counter({
      name: "archiver_dead_files_deleted_total",
      help: "Files uploaded but never committed (a crash, a consumer fenced out), deleted from the bucket",
      registers,
    }),
    flushSeconds: new Histogram({ name: "archiver_flush_seconds", help: "Time from a fetched batch of raw records to its ledger commit", buckets: SECONDS, registers }),
    lagMessages: partitionGauge({
      name: "archiver_lag_messages",
      help: "Records in the raw partition after the archive's end, when last fetched, per partition this replica archives",
      registers,
      assignments,
    }),
    lagSeconds: partitionGauge({
      name: "archiver_lag_seconds",
      help: "Now minus the received time of the newest archived event while records wait after it (0 when caught up), when last fetched",
      registers,
      assignments,
    }),
  };
}

export type ArchiverMetrics = ReturnType<typeof archiverMetrics>;
