import kafkajs, {
  CompressionTypes,
  Kafka,
  logLevel as KafkaLogLevel,
  Partitioners,
  type Consumer as KafkaJsConsumer,
  type IHeaders,
  type KafkaMessage,
  type LogEntry,
} from "kafkajs";
import { retry, waitFor } from "@schematizer/errors";
import type {
  Admin,
  BatchHandler,
  ConsumedMessage,
  Consumer,
  ConsumerOptions,
  KafkaClient,
  KafkaClientConfig,
  Producer,
  ProducerOptions,
  TopicMessages,
  TopicSpec,
} from "./kafka-client.ts";

export type KafkaJsConfig = KafkaClientConfig;

const METADATA_MAX_AGE_MS = 5_000;

/**
 * The KafkaClient on kafkajs.
 *
 * @example
 * const kafka = kafkajsClient({ brokers: ["127.0.0.1:9092"], clientId: "event-sink" });
 * const producer = await kafka.producer();
 * await producer.send([{ topic: "raw.acme", messages: [{ key: "u1", value: "{}" }] }]);
 */
export function kafkajsClient(config: KafkaJsConfig): KafkaClient {
  const kafka = new Kafka({
    clientId: config.clientId,
    brokers: config.brokers,
    connectionTimeout: config.connectionTimeoutMs ?? 3_000,
    requestTimeout: config.requestTimeoutMs ?? 30_000,
    retry: { retries: config.retries ?? 5 },
    logLevel: config.log ? KafkaLogLevel.WARN : KafkaLogLevel.NOTHING,
    logCreator: () => (entry: LogEntry) => forwardLog(config.log, entry),
  });

  return {
    async producer(options: ProducerOptions = {}): Promise<Producer> {
      const producer = kafka.producer({
        createPartitioner: Partitioners.DefaultPartitioner,
        allowAutoTopicCreation: false,
        // Partitions added to a topic take keyed traffic once the producer's metadata is renewed:
        // every 5 s, as with @platformatic/kafka, rather than kafkajs's 5 minutes.
        metadataMaxAge: METADATA_MAX_AGE_MS,
      });
      await producer.connect();
      const acks = options.acksAll === false ? 1 : -1;
      const compression = options.compression === "gzip" ? CompressionTypes.GZIP : CompressionTypes.None;
      return {
        async send(batches) {
          const topicMessages = batches.map(({ topic, messages }) => ({
            topic,
            // kafkajs wants timestamps as strings; only messages that carry one are copied.
            messages: messages.map((m) => (m.timestamp === undefined ? (m as Omit<typeof m, "timestamp">) : { ...m, timestamp: String(m.timestamp) })),
          }));
          checkWritten(batches, await producer.sendBatch({ topicMessages, acks, compression }));
        },
        close: () => producer.disconnect(),
      };
    },

    async consumer(options: ConsumerOptions): Promise<Consumer> {
      const consumer = kafka.consumer({
        groupId: options.groupId,
        sessionTimeout: options.sessionTimeoutMs ?? 30_000,
        maxBytesPerPartition: options.maxBytesPerPartition ?? 1_048_576,
        maxWaitTimeInMs: options.maxWaitMs ?? 500,
        minBytes: options.minBytes ?? 1,
        allowAutoTopicCreation: false,
      });
      const assigned = trackAssignments(consumer);
      let failed = false;
      consumer.on(consumer.events.CRASH, ({ payload }) => {
        if (!payload.restart) failed = true;
      });
      await consumer.connect();
      await consumer.subscribe({ topics: options.topics, fromBeginning: options.fromBeginning ?? true });
      return {
        run: (handler) => runBatches(consumer, handler),
        assignments: () => new Map([...assigned()].map(([topic, partitions]) => [topic, [...partitions]])),
        failed: () => failed,
        close: () => consumer.disconnect(),
      };
    },

    async admin(): Promise<Admin> {
      const admin = kafka.admin();
      await admin.connect();
      return {
        async createTopics(topics: TopicSpec[]) {
          const existing = new Set(await admin.listTopics());
          const missing = topics.filter((t) => !existing.has(t.name));
          if (missing.length === 0) return [];
          await admin.createTopics({
            waitForLeaders: true,
            topics: missing.map((t) => ({
              topic: t.name,
              numPartitions: t.partitions,
              replicationFactor: t.replicationFactor ?? 1,
              configEntries: Object.entries(t.configs ?? {}).map(([name, value]) => ({ name, value })),
            })),
          });
          return missing.map((t) => t.name);
        },
        async deleteTopics(names) {
          if (names.length > 0) await admin.deleteTopics({ topics: names });
        },
        listTopics: () => admin.listTopics(),
        async partitionCounts(names) {
          const { topics } = await admin.fetchTopicMetadata({ topics: names });
          return new Map(topics.map((t) => [t.name, t.partitions.length]));
        },
        async topicConfigs(topic) {
          const { resources } = await admin.describeConfigs({
            includeSynonyms: false,
            // Node's ESM loader cannot see this one among kafkajs's CommonJS exports by name.
            resources: [{ type: kafkajs.ConfigResourceTypes.TOPIC, name: topic }],
          });
          return Object.fromEntries((resources[0]?.configEntries ?? []).map((e) => [e.configName, e.configValue]));
        },
        async setTopicConfigs(topic, configs) {
          // kafkajs speaks only AlterConfigs, which replaces all of a topic's own configs: send the
          // ones it has (retention, cleanup policy…) along with the new ones.
          const { resources } = await admin.describeConfigs({
            includeSynonyms: false,
            resources: [{ type: kafkajs.ConfigResourceTypes.TOPIC, name: topic }],
          });
          const own = (resources[0]?.configEntries ?? []).filter(
            (e) => e.configSource === kafkajs.ConfigSource.TOPIC_CONFIG && e.configValue !== null && !(e.configName in configs),
          );
          await admin.alterConfigs({
            validateOnly: false,
            resources: [
              {
                type: kafkajs.ConfigResourceTypes.TOPIC,
                name: topic,
                configEntries: [...own.map((e) => ({ name: e.configName, value: e.configValue })), ...Object.entries(configs).map(([name, value]) => ({ name, value }))],
              },
            ],
          });
        },
        async createPartitions(topic, count) {
          await admin.createPartitions({ topicPartitions: [{ topic, count }] });
          // Resolve only once every new partition has a leader, so the next call can use it.
          await waitFor(`leaders for ${count} partitions of ${topic}`, async () => {
            const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
            const partitions = topics[0]?.partitions ?? [];
            return partitions.length >= count && partitions.every((p) => p.leader >= 0) ? true : undefined;
          }, { timeoutMs: 30_000, intervalMs: 100 });
        },
        async topicOffsets(topic) {
          // Just after partitions are created or moved, the broker may not lead them yet ("not the leader"): retriable.
          const offsets = await retry(() => admin.fetchTopicOffsets(topic), { attempts: 8, baseDelayMs: 100, maxDelayMs: 1_000 });
          return offsets
            .map((o) => ({ partition: o.partition, low: o.low, high: o.high }))
            .sort((a, b) => a.partition - b.partition);
        },
        async groupOffsets(groupId, topic) {
          const [result] = await admin.fetchOffsets({ groupId, topics: [topic] });
          return new Map((result?.partitions ?? []).map((p) => [p.partition, p.offset]));
        },
        async deleteGroups(groupIds) {
          if (groupIds.length > 0) await admin.deleteGroups(groupIds);
        },
        async groupMembers(groupId) {
          const { groups } = await admin.describeGroups([groupId]);
          return groups[0]?.members.length ?? 0;
        },
        async brokers() {
          const cluster = await admin.describeCluster();
          return cluster.brokers.map((b) => b.nodeId);
        },
        close: () => admin.disconnect(),
      };
    },
  };
}

/** What the consumer was assigned at its last join; nothing while it rebalances, after a crash or once stopped. */
function trackAssignments(consumer: KafkaJsConsumer): () => Map<string, number[]> {
  let current = new Map<string, number[]>();
  const { GROUP_JOIN, REBALANCING, CRASH, STOP, DISCONNECT } = consumer.events;
  consumer.on(GROUP_JOIN, ({ payload }) => {
    current = new Map(
      Object.entries(payload.memberAssignment)
        .filter(([, partitions]) => partitions.length > 0)
        .map(([topic, partitions]) => [topic, [...partitions].sort((a, b) => a - b)]),
    );
  });
  for (const event of [REBALANCING, CRASH, STOP, DISCONNECT] as const) consumer.on(event, () => (current = new Map()));
  return () => current;
}

async function runBatches(consumer: KafkaJsConsumer, handler: BatchHandler): Promise<void> {
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    eachBatch: async ({ batch, heartbeat, isRunning, isStale, resolveOffset }) => {
      const last = batch.messages.at(-1);
      if (!last) return;
      const messages = batch.messages.map((m) => toConsumed(batch.topic, batch.partition, m));
      await handler(
        { topic: batch.topic, partition: batch.partition, messages, highWatermark: batch.highWatermark },
        { heartbeat, isRunning: () => isRunning() && !isStale() },
      );
      resolveOffset(last.offset);
      await consumer.commitOffsets([
        { topic: batch.topic, partition: batch.partition, offset: (BigInt(last.offset) + 1n).toString() },
      ]);
    },
  });
}

function toConsumed(topic: string, partition: number, message: KafkaMessage): ConsumedMessage {
  return {
    topic,
    partition,
    offset: message.offset,
    key: message.key,
    value: message.value,
    headers: toHeaders(message.headers),
    timestamp: Number(message.timestamp),
  };
}

function toHeaders(headers: IHeaders | undefined): Record<string, Buffer | undefined> {
  const out: Record<string, Buffer | undefined> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    const first = Array.isArray(value) ? value[0] : value;
    out[name] = first === undefined ? undefined : Buffer.isBuffer(first) ? first : Buffer.from(first);
  }
  return out;
}

function forwardLog(log: KafkaJsConfig["log"], entry: LogEntry): void {
  if (!log) return;
  const { message, ...extra } = entry.log;
  const level =
    entry.level === KafkaLogLevel.ERROR
      ? "error"
      : entry.level === KafkaLogLevel.WARN
        ? "warn"
        : entry.level === KafkaLogLevel.INFO
          ? "info"
          : "debug";
  log(level, message, { namespace: entry.namespace, ...extra });
}

/**
 * kafkajs drops, without an error, messages for an explicit partition its metadata does not know
 * (one that does not exist, or one added since its last refresh). Its answer lists the partitions
 * it wrote to: an explicit partition missing there was not written, and the send fails.
 */
function checkWritten(batches: readonly TopicMessages[], written: readonly { topicName: string; partition: number }[]): void {
  let wrote: Set<string> | undefined;
  for (const { topic, messages } of batches) {
    for (const m of messages) {
      if (m.partition === undefined) continue;
      wrote ??= new Set(written.map((w) => `${w.topicName}:${w.partition}`));
      if (!wrote.has(`${topic}:${m.partition}`)) {
        throw new Error(`partition ${m.partition} of ${topic} is not known to the client (it does not exist, or is newer than the client's metadata): not written`);
      }
    }
  }
}
