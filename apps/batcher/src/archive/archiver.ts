/**
 * The raw archive, run in the batcher process: a consumer group of its own over every `raw.<app>`
 * topic (so neither the sqlizers nor stage 1 wait for it), writing each event once to the bucket
 * (archive-stage.ts), and a sweep of files a crash left behind (archive-sweep.ts) every
 * `sweepMs` and when it stops.
 */
import { topicPattern } from "@schematizer/contracts";
import { watchingConsumer, type Consumer, type KafkaClient } from "@schematizer/kafka";
import type { Logger } from "@schematizer/observability";
import type { ObjectStore } from "@schematizer/s3";
import type { Registry } from "prom-client";
import type { CrashHook } from "../crash-points.ts";
import type { ArchiveLedger } from "../ledger/archive-ledger.ts";
import type { RangeLedger } from "../ledger/range-ledger.ts";
import { createArchiveStage } from "./archive-stage.ts";
import { sweepDeadFiles } from "./archive-sweep.ts";
import { archiverMetrics, type ArchiverMetrics } from "./archiver-metrics.ts";

/** Uncompressed bytes of one range's lines: a fetch larger than this is cut into several ranges. */
const MAX_RANGE_BYTES = 64 * 1024 * 1024;

export interface ArchiverDeps {
  readonly kafka: KafkaClient;
  readonly ranges: Pick<RangeLedger, "partitionEnd">;
  readonly archive: ArchiveLedger;
  /** The bucket itself (not the loader's cache of recent files: archive files are never loaded). */
  readonly store: ObjectStore;
  readonly groupId: string;
  readonly topicPrefix: string;
  readonly gzipLevel: number;
  /** A fetch waits up to `waitMs` for `minBytes` (fewer, larger files on quiet topics). */
  readonly waitMs: number;
  readonly minBytes: number;
  readonly fetchMaxBytes: number;
  readonly topicRefreshMs?: number;
  readonly sessionTimeoutMs?: number;
  readonly sweepMs?: number;
  readonly metrics: Registry;
  readonly log: Logger;
  readonly crash: CrashHook;
}

export interface Archiver {
  /** Resolves once the consumer is set up; it joins its group in the background. */
  start(): Promise<void>;
  /** Finishes the fetched batch in hand (through its ledger commit), sweeps, and leaves. */
  stop(): Promise<void>;
  readonly metrics: ArchiverMetrics;
}

/**
 * @example
 * ```ts
 * const archiver = createArchiver({ kafka, ranges: ledger.ranges, archive: ledger.archive, store, groupId: "archiver", topicPrefix: "", gzipLevel: 6, waitMs: 10_000, minBytes: 1 << 20, fetchMaxBytes: 16 << 20, metrics, log, crash: noCrash });
 * await archiver.start();
 * ```
 */
export function createArchiver(deps: ArchiverDeps): Archiver {
  let consumer: Consumer | undefined;
  let sweeper: NodeJS.Timeout | undefined;
  const metrics = archiverMetrics(deps.metrics, () => (consumer === undefined ? [] : [consumer]));
  const raw = topicPattern("raw", deps.topicPrefix);
  const stage = createArchiveStage({
    ranges: deps.ranges,
    archive: deps.archive,
    store: deps.store,
    gzipLevel: deps.gzipLevel,
    maxRangeBytes: MAX_RANGE_BYTES,
    metrics,
    log: deps.log,
    crash: deps.crash,
    appOf: (topic) => raw.exec(topic)?.[1],
  });

  const sweep = async () => {
    const deleted = await sweepDeadFiles(deps.archive, deps.store);
    if (deleted > 0) {
      metrics.deadFilesDeleted.inc(deleted);
      deps.log.info({ deleted }, "archive files left by a crash deleted");
    }
  };
  const sweepLogged = () => sweep().catch((error: unknown) => deps.log.warn({ err: error }, "sweeping dead archive files failed; trying again later"));

  return {
    metrics,
    async start() {
      consumer = await watchingConsumer(deps.kafka, {
        groupId: deps.groupId,
        pattern: raw,
        refreshMs: deps.topicRefreshMs ?? 5_000,
        // A member heartbeats between fetches, and a fetch may wait `waitMs` on a quiet topic.
        sessionTimeoutMs: Math.max(deps.sessionTimeoutMs ?? 10_000, 3 * deps.waitMs),
        maxBytesPerPartition: deps.fetchMaxBytes,
        maxWaitMs: deps.waitMs,
        minBytes: deps.minBytes,
        onTopicsChanged: (topics, partitions) => deps.log.info({ topics, partitions: Object.fromEntries(partitions) }, "archiving raw topics"),
        onRefreshFailed: (error) => deps.log.warn({ err: error }, "looking for new raw topics and partitions failed; trying again at the next refresh"),
      });
      // Joining the group waits out a killed predecessor's session (3 × waitMs): the batcher's
      // stages do not wait for it. A first join that fails is tried again at the next refresh.
      void consumer
        .run(async (batch, context) => {
          await stage(batch, context);
        })
        .catch((error: unknown) => deps.log.warn({ err: error }, "joining the archive's group failed; trying again at the next refresh"));
      sweeper = setInterval(() => void sweepLogged(), deps.sweepMs ?? 30_000);
      sweeper.unref();
    },
    async stop() {
      if (sweeper !== undefined) clearInterval(sweeper);
      // Waits for a join in progress, then leaves the group.
      await consumer?.close();
      consumer = undefined;
      await sweepLogged();
    },
  };
}
