import type { BatchHandler, Consumer, ConsumerOptions, KafkaClient } from "./kafka-client.ts";

export interface WatchingConsumerOptions extends Omit<ConsumerOptions, "topics"> {
  /** Every topic whose name matches is consumed, including topics created later. */
  pattern: RegExp;
  /** How often to look for new matching topics. */
  refreshMs?: number;
  /** Told when the set of consumed topics changes. */
  onTopicsChanged?: (topics: string[]) => void;
}

/**
 * A consumer over every topic matching a pattern, picking up topics created after it started:
 * it lists topics every `refreshMs` and, when the matching set changes, replaces its inner
 * consumer (the group rebalances once). Clients such as kafkajs resolve a pattern only when they
 * subscribe, so without this a new app's topic would wait for a restart.
 *
 * @example
 * const consumer = await watchingConsumer(kafka, { groupId: "sqlizer", pattern: topicPattern("raw") });
 * await consumer.run(async (batch) => { ... });
 */
export async function watchingConsumer(client: KafkaClient, options: WatchingConsumerOptions): Promise<Consumer> {
  const { pattern, refreshMs = 5_000, onTopicsChanged, ...consumerOptions } = options;
  const admin = await client.admin();
  let handler: BatchHandler | undefined;
  let inner: Consumer | undefined;
  let topics: string[] = [];
  let closed = false;
  // One change at a time: a refresh never overlaps a close or another refresh.
  let changing: Promise<void> = Promise.resolve();

  const matching = async () => (await admin.listTopics()).filter((t) => pattern.test(t)).sort();

  const refresh = async () => {
    const next = await matching();
    if (closed || handler === undefined || sameList(next, topics)) return;
    await inner?.close();
    inner = undefined;
    topics = next;
    onTopicsChanged?.(topics);
    if (topics.length === 0) return;
    inner = await client.consumer({ ...consumerOptions, topics });
    await inner.run(handler);
  };

  const timer = setInterval(() => {
    changing = changing.then(refresh).catch(() => undefined);
  }, refreshMs);
  timer.unref();

  return {
    async run(batchHandler) {
      handler = batchHandler;
      changing = changing.then(refresh);
      await changing;
    },
    async close() {
      closed = true;
      clearInterval(timer);
      await changing.catch(() => undefined);
      await inner?.close();
      await admin.close();
    },
  };
}

function sameList(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
