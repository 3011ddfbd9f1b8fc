import type { SettleOptions } from "@schematizer/errors";
import { topicPattern, topicsFor } from "@schematizer/contracts";
import { watchingConsumer, type BatchContext, type Consumer, type KafkaClient, type MessageBatch, type Producer } from "@schematizer/kafka";
import type { Logger } from "@schematizer/observability";
import { maxRowBytes } from "@schematizer/config";
import { DEFAULT_LIMITS, type Limits } from "@schematizer/schema";
import type { Registry } from "prom-client";
import { publish } from "./publish.ts";
import { schematizeBatch, type SchemaSource } from "./schematize-batch.ts";
import { sqlizerMetrics } from "./sqlizer-metrics.ts";

export interface SqlizerDeps {
  kafka: KafkaClient;
  source: SchemaSource;
  /** Whether the registry's database answers now: failures while it does not are an outage, not the events' fault. */
  registryAnswers: () => Promise<boolean>;
  /** The consumer group every replica joins. */
  groupId: string;
  topicPrefix: string;
  metrics: Registry;
  log: Logger;
  /** The event limits event-sink applies too. */
  limits?: Limits;
  /** Largest typed row a sql.<app> record holds; bigger rows' events are dead letters. */
  maxRowBytes?: number;
  /** Backoff of registry calls through an outage, and failures on the same events (while it answers) before they are theirs. */
  registryRetry?: { baseDelayMs: number; maxDelayMs: number; maxRepeats: number };
  /** How often to look for new apps' raw topics. */
  topicRefreshMs?: number;
  sessionTimeoutMs?: number;
}

export interface Sqlizer {
  start(): Promise<void>;
  /** Finishes the batch in hand, commits, leaves the group. */
  stop(): Promise<void>;
  /** Why this replica cannot make progress now (the registry unreachable), or undefined. */
  notReadyReason(): string | undefined;
}

/** The row bound franz sizes sql.<app> for with the default event limit. */
export const DEFAULT_MAX_ROW_BYTES = maxRowBytes(DEFAULT_LIMITS.maxEventBytes);

/**
 * The sqlizer worker: one consumer group over every raw.<app> topic. Each batch becomes typed
 * rows in sql.<app> and dead letters in dlq.<app>, each event's fate decided on its own (see
 * schematizeBatch). The raw offsets are committed only after Kafka acknowledged all of them, so a
 * crash re-reads rather than loses (the loader drops the duplicates by _sz_id). A registry outage
 * holds the batch in hand, retried with backoff, and shows in /readyz and the metrics.
 *
 * @example
 * const sqlizer = createSqlizer({ kafka, source: registry, registryAnswers, groupId: "sqlizer", ... });
 * await sqlizer.start();
 */
export function createSqlizer(deps: SqlizerDeps): Sqlizer {
  let consumer: Consumer | undefined;
  const metrics = sqlizerMetrics(deps.metrics, () => consumer);
  const raw = topicPattern("raw", deps.topicPrefix);
  const maxRowBytes = deps.maxRowBytes ?? DEFAULT_MAX_ROW_BYTES;
  const retry = deps.registryRetry ?? { baseDelayMs: 200, maxDelayMs: 10_000, maxRepeats: 3 };
  const stopping = new AbortController();
  let producer: Producer | undefined;
  let outage: string | undefined;

  function settlePolicy(app: string, context: BatchContext): SettleOptions {
    // Stopping, or this partition handed to another replica: give the batch back unfinished.
    const revoked = new AbortController();
    return {
      ...retry,
      probe: deps.registryAnswers,
      signal: AbortSignal.any([stopping.signal, revoked.signal]),
      onRetry: (error, attempt, delayMs, up) => {
        metrics.registryRetries.inc({ app, registry: up ? "answering" : "unreachable" });
        if (!up) outage = `the registry does not answer: ${error instanceof Error ? error.message : String(error)}`;
        deps.log.warn({ err: error, app, attempt, delayMs, registryAnswers: up }, "registry call failed; retrying");
        if (!context.isRunning()) revoked.abort();
        void context.heartbeat().catch(() => undefined);
      },
    };
  }

  async function handle(batch: MessageBatch, context: BatchContext): Promise<void> {
    const started = performance.now();
    const app = raw.exec(batch.topic)?.[1];
    if (app === undefined) return;
    const out = await schematizeBatch(app, batch.messages, deps.source, {
      settle: settlePolicy(app, context),
      maxRowBytes,
      ...(deps.limits ? { limits: deps.limits } : {}),
    });
    outage = undefined;
    const { rows, deadLetters } = await publish(producer!, topicsFor(app, deps.topicPrefix), out, maxRowBytes);

    metrics.eventsIn.inc({ app }, batch.messages.length);
    metrics.rowsOut.inc({ app }, rows);
    if (out.withUnmapped > 0) metrics.unmapped.inc({ app }, out.withUnmapped);
    if (out.versionsCreated > 0) metrics.versionsCreated.inc({ app }, out.versionsCreated);
    for (const { rejection } of deadLetters) metrics.dlq.inc({ app, reason: rejection.code });
    if (deadLetters.length > 0) {
      deps.log.warn({ app, deadLetters: deadLetters.length, first: deadLetters[0]!.rejection }, "events sent to the dead-letter topic");
    }
    const last = batch.messages.at(-1)!;
    metrics.lagSeconds.set(batch.topic, batch.partition, Math.max(0, (Date.now() - last.timestamp) / 1000));
    metrics.lagMessages.set(batch.topic, batch.partition, Math.max(0, Number(BigInt(batch.highWatermark) - BigInt(last.offset) - 1n)));
    metrics.batchEvents.observe(batch.messages.length);
    metrics.batchSeconds.observe((performance.now() - started) / 1000);
  }

  return {
    async start() {
      producer = await deps.kafka.producer();
      consumer = await watchingConsumer(deps.kafka, {
        groupId: deps.groupId,
        pattern: raw,
        refreshMs: deps.topicRefreshMs ?? 5_000,
        sessionTimeoutMs: deps.sessionTimeoutMs ?? 10_000,
        onTopicsChanged: (topics, partitions) => deps.log.info({ topics, partitions: Object.fromEntries(partitions) }, "consuming raw topics"),
        onRefreshFailed: (error) => deps.log.warn({ err: error }, "looking for new raw topics and partitions failed; trying again at the next refresh"),
      });
      await consumer.run(handle);
    },
    async stop() {
      stopping.abort();
      await consumer?.close();
      await producer?.close();
    },
    notReadyReason: () => outage,
  };
}
