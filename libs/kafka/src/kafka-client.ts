/**
 * The project's own Kafka interface. Apps depend on this, never on a client library's
 * types, so a different client can be measured against kafkajs and swapped in.
 */

export type Bytes = Buffer;

export interface ProducedMessage {
  key?: string | Bytes | null;
  value: string | Bytes | null;
  headers?: Record<string, string | Bytes>;
  /** Explicit partition; otherwise the key's hash chooses one. */
  partition?: number;
  /** Milliseconds since the epoch; the broker's time when absent. */
  timestamp?: number;
}

export interface TopicMessages {
  topic: string;
  messages: ProducedMessage[];
}

export interface ConsumedMessage {
  topic: string;
  partition: number;
  /** Offsets are decimal strings: they can exceed 2^53. */
  offset: string;
  key: Bytes | null;
  value: Bytes | null;
  headers: Record<string, Bytes | undefined>;
  /** Milliseconds since the epoch. */
  timestamp: number;
}

export interface MessageBatch {
  topic: string;
  partition: number;
  messages: ConsumedMessage[];
  /** The partition's high watermark when the batch was fetched (the offset after the newest message). */
  highWatermark: string;
}

export interface BatchContext {
  /** Keeps the group membership alive during long work on one batch. */
  heartbeat(): Promise<void>;
  /** False once the consumer is stopping or this partition was revoked. */
  isRunning(): boolean;
}

export interface ProducerOptions {
  /** Wait for every in-sync replica (acks=all). Default true: 202 means durable. */
  acksAll?: boolean;
  /** Compression for produced batches. */
  compression?: "none" | "gzip";
}

export interface ConsumerOptions {
  groupId: string;
  /** Topic names or patterns; patterns match the topics that exist when the consumer starts. */
  topics: (string | RegExp)[];
  /** Where a group with no committed offset starts. Default true. */
  fromBeginning?: boolean;
  sessionTimeoutMs?: number;
  /** Upper bound on bytes fetched per partition per request. */
  maxBytesPerPartition?: number;
  /**
   * Longest a fetch waits for new data (default 500 ms). Closing waits for the fetch in flight,
   * so this bounds how long a stop takes on an idle topic.
   */
  maxWaitMs?: number;
  /**
   * Least bytes a fetch waits for, up to `maxWaitMs` (default 1: answer as soon as anything is
   * there). More makes fewer, larger batches on a quiet topic, at the cost of that wait.
   */
  minBytes?: number;
}

export interface Producer {
  /** Resolves once the broker acknowledged every message (acks=all by default). */
  send(batches: TopicMessages[]): Promise<void>;
  close(): Promise<void>;
}

export type BatchHandler = (batch: MessageBatch, context: BatchContext) => Promise<void>;

export interface Consumer {
  /**
   * Starts consuming in the background. Each batch's offsets are committed only after its
   * handler resolved: delivery is at least once. A handler that throws makes the batch be
   * fetched again.
   */
  run(handler: BatchHandler): Promise<void>;
  /**
   * The partitions assigned to this consumer now, by topic, in ascending order: what it reads.
   * Empty before it joined its group and once closed; while the group rebalances, the last
   * assignment or none.
   *
   * @example
   * for (const [topic, partitions] of consumer.assignments()) gauge.set({ topic }, partitions.length);
   */
  assignments(): Map<string, number[]>;
  /**
   * True once it stopped on its own, on an error its client does not recover from (kafkajs gives
   * up on a non-retriable error): it reads nothing more, and should be closed and replaced.
   * `watchingConsumer` does so at its next refresh.
   */
  failed(): boolean;
  /** Finishes the batch in hand, commits, and leaves the group. */
  close(): Promise<void>;
}

export interface TopicSpec {
  name: string;
  partitions: number;
  replicationFactor?: number;
  /** Topic-level configs such as retention.ms or cleanup.policy. */
  configs?: Record<string, string>;
}

export interface PartitionOffsets {
  partition: number;
  /** Earliest offset still held. */
  low: string;
  /** Offset the next produced message will get. */
  high: string;
}

export interface Admin {
  /** Creates the topics that do not exist yet; returns the names it created. */
  createTopics(topics: TopicSpec[]): Promise<string[]>;
  deleteTopics(names: string[]): Promise<void>;
  listTopics(): Promise<string[]>;
  /** Number of partitions of each named topic. */
  partitionCounts(names: string[]): Promise<Map<string, number>>;
  /** The topic's configs as the broker reports them (defaults included), e.g. retention.ms. */
  topicConfigs(topic: string): Promise<Record<string, string>>;
  /** Sets these topic-level configs (e.g. max.message.bytes); the topic's other configs stay as they are. */
  setTopicConfigs(topic: string, configs: Record<string, string>): Promise<void>;
  /** Grows a topic to `count` partitions in all (Kafka never removes partitions). */
  createPartitions(topic: string, count: number): Promise<void>;
  topicOffsets(topic: string): Promise<PartitionOffsets[]>;
  /** Committed offsets of a consumer group for a topic, by partition (-1 where none). */
  groupOffsets(groupId: string, topic: string): Promise<Map<number, string>>;
  deleteGroups(groupIds: string[]): Promise<void>;
  /** How many consumers are members of the group now (0 for an empty or unknown group). */
  groupMembers(groupId: string): Promise<number>;
  /** Broker ids in the cluster; fails when no broker answers. */
  brokers(): Promise<number[]>;
  close(): Promise<void>;
}

export interface KafkaClient {
  producer(options?: ProducerOptions): Promise<Producer>;
  consumer(options: ConsumerOptions): Promise<Consumer>;
  admin(): Promise<Admin>;
}

/** How a client connects; the same for every implementation. */
export interface KafkaClientConfig {
  brokers: string[];
  clientId: string;
  /** Receives the client's own warnings and errors (default: dropped). */
  log?: (level: "error" | "warn" | "info" | "debug", message: string, extra: Record<string, unknown>) => void;
  connectionTimeoutMs?: number;
  requestTimeoutMs?: number;
  /** Retries of a failed request or connection before an error surfaces (default 5). */
  retries?: number;
}
