/**
 * The batcher: stage 1 (a consumer group over every `sql.<app>` topic writing batch files and
 * ledger rows) and stage 2 (the loader), in one process. Either can be scaled by running more
 * replicas: partitions spread over the group, apps over the loaders.
 */
import { topicPattern } from "@schematizer/contracts";
import { watchingConsumer, type Admin, type Consumer, type KafkaClient } from "@schematizer/kafka";
import type { Logger } from "@schematizer/observability";
import type { ObjectStore } from "@schematizer/s3";
import type { Registry } from "prom-client";
import type { FileLimits } from "./staging/range-buffer.ts";
import { batcherMetrics, type BatcherMetrics } from "./batcher-metrics.ts";
import { noCrash, type CrashHook } from "./crash-points.ts";
import type { Ledger } from "./ledger/ledger.ts";
import type { CoalesceLimits } from "./loading/load-plan.ts";
import { createLoader, type Loader } from "./loading/loader.ts";
import { cachedVersions, type SchemaVersions } from "./schema-versions.ts";
import { createStageToS3 } from "./staging/stage-to-s3.ts";
import type { Warehouse } from "@schematizer/warehouse";

export interface BatcherDeps {
  readonly kafka: KafkaClient;
  readonly ledger: Ledger;
  /** The control database URL (the loader keeps its own connection for locks and LISTEN). */
  readonly controlUrl: string;
  readonly store: ObjectStore;
  readonly versions: SchemaVersions;
  readonly warehouse: Warehouse;
  readonly groupId: string;
  readonly topicPrefix: string;
  readonly fileLimits: FileLimits;
  readonly coalesce: CoalesceLimits;
  readonly gzipLevel?: number;
  readonly fetchMaxBytes?: number;
  readonly topicRefreshMs?: number;
  readonly sessionTimeoutMs?: number;
  /**
   * Members of the consumer group in this process (default 2). The client handles one fetched
   * batch at a time per member, and a batch's handler holds it until its ledger commit, so more
   * members overlap one partition's upload with another's fetch.
   */
  readonly consumers?: number;
  readonly loadConcurrency?: number;
  readonly loadPollMs?: number;
  readonly backoff?: { readonly baseMs: number; readonly maxMs: number };
  /** Failures counted against a batch, while the warehouse answers, before it is parked (default 10). */
  readonly maxLoadFailures?: number;
  /** Run stage 1, stage 2, or both (default both). */
  readonly stages?: { readonly toS3: boolean; readonly toWarehouse: boolean };
  readonly metrics: Registry;
  readonly log: Logger;
  readonly crash?: CrashHook;
}

export interface Batcher {
  start(): Promise<void>;
  /** Finishes the fetched batch in hand (through its ledger commit) and the loads in hand, then leaves. */
  stop(): Promise<void>;
  /** Why the batcher cannot work now, or undefined. */
  notReadyReason(): string | undefined;
  readonly metrics: BatcherMetrics;
}

/**
 * The batcher worker.
 *
 * @example
 * ```ts
 * const batcher = createBatcher({ kafka, ledger, controlUrl, store, versions: registryVersions, warehouse, groupId: "batcher", topicPrefix: "", fileLimits, coalesce, metrics, log });
 * await batcher.start();
 * ```
 */
export function createBatcher(deps: BatcherDeps): Batcher {
  const metrics = batcherMetrics(deps.metrics, () => consumers);
  const crash = deps.crash ?? noCrash;
  const versions = cachedVersions(deps.versions);
  const sql = topicPattern("sql", deps.topicPrefix);
  const stages = deps.stages ?? { toS3: true, toWarehouse: true };
  let consumers: Consumer[] = [];
  let loader: Loader | undefined;
  let admin: Admin | undefined;
  let monitor: NodeJS.Timeout | undefined;
  let topics: string[] = [];
  let started = false;

  const stage = createStageToS3({
    ledger: deps.ledger,
    store: deps.store,
    versions,
    limits: deps.fileLimits,
    gzipLevel: deps.gzipLevel ?? 1,
    metrics,
    log: deps.log,
    crash,
    appOf: (topic) => sql.exec(topic)?.[1],
  });

  /** How far the group's committed offsets trail the ledger (they are only a hint). */
  async function observeCommits(): Promise<void> {
    if (admin === undefined || topics.length === 0) return;
    const ends = await deps.ledger.ranges.ends(topics);
    for (const topic of topics) {
      const committed = await admin.groupOffsets(deps.groupId, topic);
      for (const [partition, end] of ends.get(topic) ?? []) {
        const offset = committed.get(partition);
        const next = offset === undefined || offset === "-1" ? 0n : BigInt(offset);
        metrics.commitLag.set({ topic, partition: String(partition) }, Number(end + 1n - next));
      }
    }
  }

  return {
    metrics,
    async start() {
      if (stages.toWarehouse) {
        loader = createLoader({
          ledger: deps.ledger,
          controlUrl: deps.controlUrl,
          warehouse: deps.warehouse,
          versions,
          coalesce: deps.coalesce,
          backoff: deps.backoff ?? { baseMs: 1_000, maxMs: 300_000 },
          maxFailures: deps.maxLoadFailures ?? 10,
          concurrency: deps.loadConcurrency ?? 2,
          pollMs: deps.loadPollMs ?? 1_000,
          metrics,
          log: deps.log,
          crash,
        });
        await loader.start();
      }
      if (stages.toS3) {
        admin = await deps.kafka.admin();
        // All members join at once, so the group settles in one rebalance rather than one per member.
        consumers = await Promise.all(
          Array.from({ length: deps.consumers ?? 2 }, async (_, i) => {
            const consumer = await watchingConsumer(deps.kafka, {
              groupId: deps.groupId,
              pattern: sql,
              refreshMs: deps.topicRefreshMs ?? 5_000,
              sessionTimeoutMs: deps.sessionTimeoutMs ?? 10_000,
              maxBytesPerPartition: deps.fetchMaxBytes ?? 4 * 1024 * 1024,
              onTopicsChanged: (next, partitions) => {
                topics = next;
                if (i === 0) deps.log.info({ topics: next, partitions: Object.fromEntries(partitions) }, "consuming sql topics");
              },
              onRefreshFailed: (error) => deps.log.warn({ err: error }, "looking for new sql topics and partitions failed; trying again at the next refresh"),
            });
            await consumer.run(async (batch, context) => {
              await stage(batch, context);
            });
            return consumer;
          }),
        );
        monitor = setInterval(() => {
          observeCommits().catch((error: unknown) => deps.log.debug({ err: error }, "could not read committed offsets"));
        }, 15_000);
        monitor.unref();
      }
      started = true;
    },
    async stop() {
      if (monitor !== undefined) clearInterval(monitor);
      await Promise.all(consumers.map((c) => c.close()));
      await loader?.stop();
      await admin?.close();
      consumers = [];
      loader = undefined;
      admin = undefined;
      started = false;
    },
    notReadyReason() {
      if (!started) return "starting";
      return loader?.notReadyReason();
    },
  };
}
