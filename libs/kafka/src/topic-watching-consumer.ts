import type { BatchHandler, Consumer, ConsumerOptions, KafkaClient } from "./kafka-client.ts";

export interface WatchingConsumerOptions extends Omit<ConsumerOptions, "topics"> {
  /** Every topic whose name matches is consumed, including topics created later. */
  pattern: RegExp;
  /** How often to look for new matching topics and for partitions added to them. */
  refreshMs?: number;
  /**
   * Told, once the consumer runs on them, when the consumed topics or their partition counts
   * changed: the topic names in order, and each topic's partition count.
   */
  onTopicsChanged?: (topics: string[], partitions: Map<string, number>) => void;
  /** Told when a refresh failed; the next one tries again. */
  onRefreshFailed?: (error: unknown) => void;
}

/** The topics consumed and each one's partition count. */
export type TopicLayout = Map<string, number>;

/**
 * A consumer over every topic matching a pattern, picking up topics created after it started and
 * partitions added to them: every `refreshMs` it reads the matching topics and their partition
 * counts and, when either changed, replaces its inner consumer (the group rebalances). It also
 * replaces an inner consumer that stopped on an error its client gives up on.
 *
 * Neither client has added partitions assigned in time on its own: kafkajs looks for them only
 * when its metadata expires (every 5 minutes), @platformatic/kafka's group member never does. A
 * member leaving and one joining are rebalances planned on fresh metadata, and a partition with no
 * committed offset starts at the earliest one (`fromBeginning`, the default), so what was written
 * to it before the change was noticed is read too.
 *
 * @example
 * const consumer = await watchingConsumer(kafka, { groupId: "sqlizer", pattern: topicPattern("raw") });
 * await consumer.run(async (batch) => { ... });
 */
export async function watchingConsumer(client: KafkaClient, options: WatchingConsumerOptions): Promise<Consumer> {
  const { pattern, refreshMs = 5_000, onTopicsChanged, onRefreshFailed, ...consumerOptions } = options;
  const admin = await client.admin();
  let handler: BatchHandler | undefined;
  let inner: Consumer | undefined;
  /** What `inner` runs on; undefined until a refresh has put the consumer in step with the topics. */
  let serving: TopicLayout | undefined;
  let closed = false;
  // One change at a time: a refresh never overlaps a close or another refresh.
  let changing: Promise<void> = Promise.resolve();
  let refreshing = false;

  const layout = async (): Promise<TopicLayout> => {
    const topics = (await admin.listTopics()).filter((t) => pattern.test(t)).sort();
    if (topics.length === 0) return new Map();
    const counts = await admin.partitionCounts(topics);
    return new Map(topics.map((t) => [t, counts.get(t) ?? 0]));
  };

  const refresh = async () => {
    if (closed || handler === undefined) return;
    const next = await layout();
    // The same layout keeps the consumer, unless it stopped on an error and reads nothing more.
    if (closed || (serving !== undefined && sameLayout(next, serving) && !(inner?.failed() ?? false))) return;
    // Set again only once the new consumer runs: a refresh that fails is retried on the next tick.
    serving = undefined;
    const previous = inner;
    inner = undefined;
    await previous?.close();
    if (next.size > 0) {
      const consumer = await client.consumer({ ...consumerOptions, topics: [...next.keys()] });
      try {
        await consumer.run(handler);
      } catch (error) {
        await consumer.close().catch(() => undefined);
        throw error;
      }
      inner = consumer;
    }
    serving = next;
    onTopicsChanged?.([...next.keys()], new Map(next));
  };

  const enqueue = () => {
    const done = changing.then(refresh);
    changing = done.catch(() => undefined);
    return done;
  };

  const timer = setInterval(() => {
    // A refresh that outlasts the interval (a slow rebalance) is not queued behind again.
    if (refreshing) return;
    refreshing = true;
    enqueue()
      .catch((error: unknown) => onRefreshFailed?.(error))
      .finally(() => (refreshing = false));
  }, refreshMs);
  timer.unref();

  return {
    async run(batchHandler) {
      handler = batchHandler;
      await enqueue();
    },
    assignments: () => inner?.assignments() ?? new Map(),
    // A failed inner consumer is replaced within `refreshMs`.
    failed: () => false,
    async close() {
      closed = true;
      clearInterval(timer);
      await changing;
      const last = inner;
      inner = undefined;
      await last?.close();
      await admin.close();
    },
  };
}

/** True when both name the same topics with the same partition counts. */
export function sameLayout(a: TopicLayout, b: TopicLayout): boolean {
  if (a.size !== b.size) return false;
  for (const [topic, partitions] of a) if (b.get(topic) !== partitions) return false;
  return true;
}
