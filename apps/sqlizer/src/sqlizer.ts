import { topicPattern, topicsFor, watchingConsumer, type Consumer, type KafkaClient, type MessageBatch, type Producer, type TopicMessages } from "@schematizer/kafka";
import type { Logger } from "@schematizer/observability";
import type { Registry } from "prom-client";
import { dlqMessage } from "./dlq-message.ts";
import { schematizeBatch, type SchemaSource } from "./schematize-batch.ts";
import { sqlizerMetrics } from "./sqlizer-metrics.ts";

export interface SqlizerDeps {
  kafka: KafkaClient;
  source: SchemaSource;
  /** The consumer group every replica joins. */
  groupId: string;
  topicPrefix: string;
  metrics: Registry;
  log: Logger;
  /** How often to look for new apps' raw topics. */
  topicRefreshMs?: number;
  sessionTimeoutMs?: number;
}

export interface Sqlizer {
  start(): Promise<void>;
  /** Finishes the batch in hand, commits, leaves the group. */
  stop(): Promise<void>;
}

/**
 * The sqlizer worker: one consumer group over every raw.<app> topic. Each batch becomes typed
 * rows in sql.<app> and rejections in dlq.<app>; the raw offsets are committed only after Kafka
 * acknowledged all of them, so a crash re-reads rather than loses (the loader drops the
 * duplicates by _sz_id).
 *
 * @example
 * const sqlizer = createSqlizer({ kafka, source: registry.evolver, groupId: "sqlizer", ... });
 * await sqlizer.start();
 */
export function createSqlizer(deps: SqlizerDeps): Sqlizer {
  const metrics = sqlizerMetrics(deps.metrics);
  const raw = topicPattern("raw", deps.topicPrefix);
  let consumer: Consumer | undefined;
  let producer: Producer | undefined;

  async function handle(batch: MessageBatch): Promise<void> {
    const started = performance.now();
    const app = raw.exec(batch.topic)?.[1];
    if (app === undefined) return;
    const topics = topicsFor(app, deps.topicPrefix);
    const out = await schematizeBatch(app, batch.messages, deps.source);

    const sends: TopicMessages[] = [];
    if (out.rows.length > 0) sends.push({ topic: topics.sql, messages: out.rows });
    if (out.rejected.length > 0) {
      sends.push({ topic: topics.dlq, messages: out.rejected.map((r) => dlqMessage(r.message, r.rejection)) });
    }
    if (sends.length > 0) await producer!.send(sends);

    metrics.eventsIn.inc({ app }, batch.messages.length);
    metrics.rowsOut.inc({ app }, out.rows.length);
    if (out.withUnmapped > 0) metrics.unmapped.inc({ app }, out.withUnmapped);
    if (out.versionsCreated > 0) metrics.versionsCreated.inc({ app }, out.versionsCreated);
    for (const { rejection } of out.rejected) metrics.dlq.inc({ app, reason: rejection.code });
    if (out.rejected.length > 0) {
      deps.log.warn({ app, rejected: out.rejected.length, first: out.rejected[0]!.rejection }, "events sent to the dead-letter topic");
    }
    const last = batch.messages.at(-1)!;
    const labels = { topic: batch.topic, partition: String(batch.partition) };
    metrics.lagSeconds.set(labels, Math.max(0, (Date.now() - last.timestamp) / 1000));
    metrics.lagMessages.set(labels, Math.max(0, Number(BigInt(batch.highWatermark) - BigInt(last.offset) - 1n)));
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
        onTopicsChanged: (topics) => deps.log.info({ topics }, "consuming raw topics"),
      });
      await consumer.run(handle);
    },
    async stop() {
      await consumer?.close();
      await producer?.close();
    },
  };
}
