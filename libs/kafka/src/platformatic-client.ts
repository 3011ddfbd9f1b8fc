import {
  Admin as PltAdmin,
  ConfigResourceTypes,
  ConnectionPool,
  Consumer as PltConsumer,
  FetchIsolationLevels,
  IncrementalAlterConfigOperationTypes,
  IS_CONTROL,
  ListOffsetTimestamps,
  ProduceAcks,
  Producer as PltProducer,
  type BaseOptions,
  type MessageToProduce,
  type RecordsBatch,
} from "@platformatic/kafka";
import type {
  Admin,
  BatchHandler,
  ConsumedMessage,
  Consumer,
  ConsumerOptions,
  KafkaClient,
  KafkaClientConfig,
  MessageBatch,
  PartitionOffsets,
  Producer,
  ProducerOptions,
  TopicSpec,
} from "./kafka-client.ts";
import { murmur2 } from "./key-partition.ts";

export type PlatformaticConfig = KafkaClientConfig;

type Log = NonNullable<PlatformaticConfig["log"]>;
type PltClient = PltAdmin | PltProducer<Buffer, Buffer, Buffer, Buffer> | PltConsumer<Buffer, Buffer, Buffer, Buffer>;
type PltConsumerB = PltConsumer<Buffer, Buffer, Buffer, Buffer>;
type FetchRequestTopic = Parameters<PltConsumerB["fetch"]>[0]["topics"][number];
/** The consumer's fetch response, as far as used here. */
interface FetchResponse {
  responses: {
    topicId: string;
    partitions: { partitionIndex: number; errorCode: number; highWatermark: bigint; records?: RecordsBatch[] }[];
  }[];
}

const TOPIC_ALREADY_EXISTS = 36;

/**
 * The KafkaClient on @platformatic/kafka, a pure JavaScript client. Behaves as the kafkajs one:
 * acks=all by default, keys hashed to the same partitions as kafkajs and the Java client
 * (murmur2), a consumer's batch committed only after its handler resolved.
 *
 * @example
 * const kafka = platformaticClient({ brokers: ["127.0.0.1:9092"], clientId: "event-sink" });
 * const producer = await kafka.producer();
 * await producer.send([{ topic: "raw.acme", messages: [{ key: "u1", value: "{}" }] }]);
 */
export function platformaticClient(config: PlatformaticConfig): KafkaClient {
  const base: BaseOptions = {
    clientId: config.clientId,
    bootstrapBrokers: config.brokers,
    connectTimeout: config.connectionTimeoutMs ?? 3_000,
    // A request's own timeout, and the one the broker is given to gather acks=all.
    requestTimeout: config.requestTimeoutMs ?? 30_000,
    timeout: config.requestTimeoutMs ?? 30_000,
    retries: config.retries ?? 5,
    // As kafkajs: 300 ms, doubling, at most 5 s.
    retryDelay: (_client, _operation, attempt) => Math.min(300 * 2 ** Math.max(0, attempt - 1), 5_000),
    autocreateTopics: false,
  };
  const log: Log = config.log ?? (() => undefined);

  return {
    async producer(options: ProducerOptions = {}): Promise<Producer> {
      const producer = new PltProducer<Buffer, Buffer, Buffer, Buffer>({
        ...base,
        acks: options.acksAll === false ? ProduceAcks.LEADER : ProduceAcks.ALL,
        compression: options.compression === "gzip" ? "gzip" : "none",
        partitioner: javaCompatiblePartitioner(),
      });
      forwardClientEvents(producer, log);
      await connected(producer);
      return platformaticProducer(producer);
    },

    async consumer(options: ConsumerOptions): Promise<Consumer> {
      const topics = await resolveTopics(base, options.topics);
      const sessionTimeout = options.sessionTimeoutMs ?? 30_000;
      const consumer = new PltConsumer<Buffer, Buffer, Buffer, Buffer>({
        ...base,
        groupId: options.groupId,
        autocommit: false,
        sessionTimeout,
        rebalanceTimeout: Math.max(60_000, sessionTimeout),
        heartbeatInterval: Math.min(3_000, Math.floor(sessionTimeout / 3)),
        // kafkajs's name for its round-robin assignor, with the same wire format: members on either
        // client can share a group (a rolling switch), where differing names would be refused.
        protocols: [{ name: "RoundRobinAssigner", version: 1 }],
      });
      forwardClientEvents(consumer, log);
      // Fetches get connections of their own: a fetch waiting on an idle topic would hold up the
      // heartbeats and commits queued behind it on a shared one.
      const fetchPool = new ConnectionPool(config.clientId, {
        connectTimeout: base.connectTimeout,
        requestTimeout: base.requestTimeout,
      });
      return groupConsumer(consumer, fetchPool, topics, {
        fromBeginning: options.fromBeginning ?? true,
        maxWaitMs: options.maxWaitMs ?? 500,
        maxBytesPerPartition: options.maxBytesPerPartition ?? 1_048_576,
        log,
      });
    },

    async admin(): Promise<Admin> {
      const admin = new PltAdmin(base);
      forwardClientEvents(admin, log);
      await connected(admin);
      return platformaticAdmin(admin);
    },
  };
}

function platformaticProducer(producer: PltProducer<Buffer, Buffer, Buffer, Buffer>): Producer {
  return {
    async send(batches) {
      const messages: MessageToProduce<Buffer, Buffer, Buffer, Buffer>[] = [];
      let explicit: Map<string, number> | undefined;
      for (const { topic, messages: batch } of batches) {
        for (const m of batch) {
          let headers: Map<Buffer, Buffer> | undefined;
          if (m.headers) {
            headers = new Map();
            for (const name in m.headers) headers.set(headerName(name), toBuffer(m.headers[name]!));
          }
          messages.push({
            topic,
            key: m.key == null ? undefined : toBuffer(m.key),
            // A null value (a tombstone) is written as null.
            value: (m.value == null ? null : toBuffer(m.value)) as Buffer,
            headers,
            partition: m.partition,
            timestamp: m.timestamp === undefined ? undefined : BigInt(m.timestamp),
          });
          if (m.partition !== undefined) {
            explicit ??= new Map();
            explicit.set(topic, Math.max(explicit.get(topic) ?? 0, m.partition));
          }
        }
      }
      if (messages.length === 0) return;
      // The library takes an explicit partition modulo the partition count it knows: refuse one
      // that does not exist rather than write to another.
      if (explicit) await checkPartitions(producer, explicit);
      await producer.send({ messages });
    },
    close: () => closeClient(producer),
  };
}

async function checkPartitions(producer: PltProducer<Buffer, Buffer, Buffer, Buffer>, highest: Map<string, number>): Promise<void> {
  const topics = [...highest.keys()];
  const fits = (metadata: Awaited<ReturnType<typeof producer.metadata>>) =>
    topics.every((t) => highest.get(t)! < (metadata.topics.get(t)?.partitionsCount ?? 0));
  if (fits(await producer.metadata({ topics }))) return;
  const fresh = await producer.metadata({ topics, forceUpdate: true });
  for (const topic of topics) {
    const count = fresh.topics.get(topic)?.partitionsCount ?? 0;
    if (highest.get(topic)! >= count) throw new Error(`partition ${highest.get(topic)} of ${topic} does not exist (${count} partitions)`);
  }
}

/**
 * The partitioner of kafkajs's DefaultPartitioner and the Java client: murmur2 of the key, sign
 * bit cleared (the library takes it modulo the partition count); keyless messages round-robin.
 * The library's own default hashes differently (unsigned), and its murmur2 works on BigInts.
 */
function javaCompatiblePartitioner(): (message: unknown, key: Buffer | undefined) => number {
  let next = Math.floor(Math.random() * 1_000);
  return (_message, key) => (key === undefined ? next++ & 0x7fffffff : murmur2(key) & 0x7fffffff);
}

interface GroupConsumerOptions {
  fromBeginning: boolean;
  maxWaitMs: number;
  maxBytesPerPartition: number;
  log: Log;
}

/** One fetch from one broker: what was asked, and the answer or the error. */
interface FetchResult {
  leader: number;
  /** The `generation` when it was sent: results of an older one are dropped. */
  generation: number;
  /** Fetch offset of each partition asked, by "topic:partition". */
  asked: Map<string, bigint>;
  response?: FetchResponse;
  error?: unknown;
}

const OFFSET_OUT_OF_RANGE = 1;
/** Record batch attribute: the timestamps are the broker's (LogAppendTime). */
const LOG_APPEND_TIME = 1 << 3;

/**
 * A group member on the library's group membership (join, heartbeats, rebalances, commits) and
 * its raw fetch. The library's own message stream hands out messages one by one at about twice
 * kafkajs's CPU per message, and commits per message or by fetched position, not per handled
 * batch.
 *
 * One fetch per partition leader is in flight at a time; the next one is sent as soon as the
 * answer arrives, so it overlaps the handler. Each partition's messages in an answer are a batch;
 * each batch is committed once its handler resolved. A handler (or commit) failure, and a
 * rebalance, drop what was fetched ahead and resume every partition from its committed offset:
 * the failed batch is fetched again.
 */
function groupConsumer(consumer: PltConsumerB, fetchPool: ConnectionPool, topics: string[], options: GroupConsumerOptions): Consumer {
  const { fromBeginning, maxWaitMs, maxBytesPerPartition, log } = options;
  /** Next offset to fetch, by "topic:partition", for the partitions assigned now. */
  const positions = new Map<string, bigint>();
  const inflight = new Map<number, Promise<FetchResult>>();
  const topicNames = new Map<string, string>();
  let generation = 0;
  let resetNeeded = true;
  let stopping = false;
  let loop: Promise<void> | undefined;
  let closing: Promise<void> | undefined;

  // The loop waits on this when it has nothing to do: a rebalance or close wakes it.
  let wake: ((value: undefined) => void) | undefined;
  const signal = () => {
    const resolve = wake;
    wake = undefined;
    resolve?.(undefined);
  };
  const woken = (timeoutMs: number) => {
    let timer: NodeJS.Timeout | undefined;
    const promise = new Promise<undefined>((resolve) => {
      timer = setTimeout(resolve, timeoutMs, undefined);
      wake = resolve;
    });
    return {
      promise,
      cancel: () => {
        clearTimeout(timer);
        wake = undefined;
      },
    };
  };
  // A backoff ends early only when the consumer closes.
  let interruptPause: (() => void) | undefined;
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      interruptPause = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  const backoff = (failures: number) => Math.min(300 * 2 ** Math.max(0, failures - 1), 10_000);

  /** Drops what is in flight or fetched ahead: the next turn starts from the committed offsets. */
  const restart = () => {
    generation++;
    resetNeeded = true;
    inflight.clear();
  };
  consumer.on("consumer:group:join", () => {
    restart();
    signal();
  });
  // The library's leader assigns the partitions of its cached metadata (up to 5 s old): partitions
  // added since would stay unassigned until the next rebalance. A rebalance starts from fresh metadata.
  consumer.on("consumer:group:rebalance", () => consumer.clearMetadata());
  // Two ways the library leaves a member without heartbeats, so the group drops it while it goes
  // on fetching: a failed heartbeat (say while the broker restarts) cancels the timer for good,
  // and a rejoin that spent its retries is emitted as "error" (without a listener, fatal). Either
  // way: join again until it works, which restarts the heartbeats.
  let rejoining = false;
  const rejoin = (what: string, error: Error) => {
    log("warn", what, { error: error.message });
    if (stopping || rejoining) return;
    rejoining = true;
    void (async () => {
      for (let attempt = 1; !stopping; attempt++) {
        await new Promise((resolve) => setTimeout(resolve, backoff(attempt)));
        if (stopping) break;
        try {
          consumer.clearMetadata();
          await consumer.joinGroup({});
          break;
        } catch (joinError) {
          log("warn", "rejoining the group failed", { error: (joinError as Error).message, attempt });
        }
      }
      rejoining = false;
    })();
  };
  consumer.on("consumer:heartbeat:error", ({ error }) => rejoin("heartbeat failed, rejoining", error));
  consumer.on("error", (error: Error) => rejoin("rejoining the group failed, trying again", error));

  const assigned = (topic: string, partition: number) =>
    consumer.assignments?.some((a) => a.topic === topic && a.partitions.includes(partition)) ?? false;

  const resetPositions = async () => {
    resetNeeded = false;
    const startedAt = generation;
    positions.clear();
    const assignments = (consumer.assignments ?? []).filter((a) => a.partitions.length > 0);
    if (assignments.length === 0) return;
    // The offsets calls below and the fetches find each partition's leader in the cached metadata,
    // which may predate partitions just assigned: renew it once per assignment.
    await consumer.metadata({ topics, forceUpdate: true });
    const committed = await consumer.listCommittedOffsets({ topics: assignments });
    const start = new Map<string, bigint>();
    const missing = new Map<string, number[]>();
    for (const { topic, partitions } of assignments) {
      for (const partition of partitions) {
        const offset = committed.get(topic)?.[partition];
        if (offset !== undefined && offset >= 0n) start.set(`${topic}:${partition}`, offset);
        else missing.set(topic, [...(missing.get(topic) ?? []), partition]);
      }
    }
    if (missing.size > 0) {
      // No committed offset: the group starts at the beginning or the end, as kafkajs's fromBeginning.
      const ends = await consumer.listOffsets({
        topics: [...missing.keys()],
        partitions: Object.fromEntries(missing),
        timestamp: fromBeginning ? ListOffsetTimestamps.EARLIEST : ListOffsetTimestamps.LATEST,
      });
      for (const [topic, partitions] of missing) {
        for (const partition of partitions) {
          const offset = ends.get(topic)?.[partition];
          if (offset !== undefined) start.set(`${topic}:${partition}`, offset);
        }
      }
    }
    // A rebalance while this ran: its own reset follows.
    if (startedAt === generation) for (const [key, offset] of start) positions.set(key, offset);
  };

  /** Starts a fetch from each partition leader that has none in flight. */
  const fetchAhead = async () => {
    if (resetNeeded || stopping || positions.size === 0) return;
    const metadata = await consumer.metadata({ topics });
    const byLeader = new Map<number, Map<string, FetchRequestTopic>>();
    const asked = new Map<number, Map<string, bigint>>();
    for (const { topic, partitions } of consumer.assignments ?? []) {
      const meta = metadata.topics.get(topic);
      if (!meta) continue;
      topicNames.set(meta.id, topic);
      for (const partition of partitions) {
        const key = `${topic}:${partition}`;
        const fetchOffset = positions.get(key);
        const leader = meta.partitions[partition]?.leader;
        if (fetchOffset === undefined) continue;
        if (leader === undefined || leader < 0) {
          // A partition without a known leader (new, or moving) is asked about again next turn.
          consumer.clearMetadata();
          continue;
        }
        if (inflight.has(leader)) continue;
        let request = byLeader.get(leader);
        if (!request) {
          byLeader.set(leader, (request = new Map()));
          asked.set(leader, new Map());
        }
        let entry = request.get(topic);
        if (!entry) request.set(topic, (entry = { topicId: meta.id, partitions: [] }));
        entry.partitions.push({ partition, fetchOffset, partitionMaxBytes: maxBytesPerPartition, currentLeaderEpoch: -1, lastFetchedEpoch: -1 });
        asked.get(leader)!.set(key, fetchOffset);
      }
    }
    for (const [leader, request] of byLeader) {
      const sent: Omit<FetchResult, "response" | "error"> = { leader, generation, asked: asked.get(leader)! };
      const fetching = consumer
        .fetch({
          node: leader,
          topics: [...request.values()],
          maxWaitTime: maxWaitMs,
          minBytes: 1,
          maxBytes: 10 * 1_048_576,
          isolationLevel: FetchIsolationLevels.READ_COMMITTED,
          connectionPool: fetchPool,
        })
        .then(
          (response): FetchResult => ({ ...sent, response: response as FetchResponse }),
          (error: unknown): FetchResult => ({ ...sent, error }),
        );
      inflight.set(leader, fetching);
    }
  };

  /** Moves partitions whose offset fell out of the log (retention) to the start or end, as kafkajs does. */
  const recoverOutOfRange = async (result: FetchResult) => {
    const response = responseOf(result.error);
    const lost = new Map<string, number[]>();
    for (const t of response?.responses ?? []) {
      const topic = topicNames.get(t.topicId);
      if (topic === undefined) continue;
      for (const p of t.partitions) if (p.errorCode === OFFSET_OUT_OF_RANGE) lost.set(topic, [...(lost.get(topic) ?? []), p.partitionIndex]);
    }
    if (lost.size === 0) return false;
    const offsets = await consumer.listOffsets({
      topics: [...lost.keys()],
      partitions: Object.fromEntries(lost),
      timestamp: fromBeginning ? ListOffsetTimestamps.EARLIEST : ListOffsetTimestamps.LATEST,
    });
    for (const [topic, partitions] of lost) {
      for (const partition of partitions) {
        const offset = offsets.get(topic)?.[partition];
        if (offset !== undefined && result.generation === generation) positions.set(`${topic}:${partition}`, offset);
        log("warn", "offset out of range, moved", { topic, partition, offset: offset?.toString() });
      }
    }
    return true;
  };

  const consumeLoop = async (handler: BatchHandler) => {
    let failures = 0;
    const failed = async (what: string, error: unknown) => {
      failures++;
      log("warn", what, { error: (error as Error).message, failures });
      await pause(backoff(failures));
    };

    while (!stopping) {
      try {
        if (resetNeeded) await resetPositions();
        await fetchAhead();
      } catch (error) {
        restart();
        consumer.clearMetadata();
        await failed("consumer could not resume its partitions", error);
        continue;
      }
      const waiting = woken(inflight.size === 0 ? maxWaitMs : 60_000);
      const result = await Promise.race([...inflight.values(), waiting.promise]);
      waiting.cancel();
      if (result === undefined || result.generation !== generation) continue;
      inflight.delete(result.leader);
      if (result.error !== undefined) {
        try {
          if (await recoverOutOfRange(result)) continue;
        } catch (error) {
          await failed("resetting an out-of-range offset failed", error);
          continue;
        }
        consumer.clearMetadata();
        await failed("fetch failed", result.error);
        continue;
      }

      const batches = toBatches(result, topicNames, positions);
      // Fetch the next while the handler works on these.
      await fetchAhead().catch(() => undefined);
      for (const batch of batches) {
        if (stopping || result.generation !== generation) break;
        // A partition revoked meanwhile is another member's now.
        if (!assigned(batch.topic, batch.partition)) continue;
        const next = BigInt(batch.messages.at(-1)!.offset) + 1n;
        try {
          await handler(batch, {
            heartbeat: async () => undefined, // the library heartbeats on its own timer
            isRunning: () => !stopping && assigned(batch.topic, batch.partition),
          });
          await consumer.commit({ offsets: [{ topic: batch.topic, partition: batch.partition, offset: next, leaderEpoch: -1 }] });
          failures = 0;
        } catch (error) {
          if (stopping) break;
          restart();
          await failed("batch failed, fetching it again", error);
          break;
        }
      }
    }
  };

  return {
    async run(handler) {
      if (loop) throw new Error("consumer is already running");
      consumer.topics.trackAll(...topics);
      await consumer.joinGroup({});
      loop = consumeLoop(handler).catch((error: unknown) => log("error", "consumer loop stopped", { error: (error as Error).message }));
    },
    assignments() {
      const out = new Map<string, number[]>();
      for (const { topic, partitions } of consumer.assignments ?? []) {
        if (partitions.length > 0) out.set(topic, [...(out.get(topic) ?? []), ...partitions].sort((a, b) => a - b));
      }
      return out;
    },
    close() {
      closing ??= (async () => {
        stopping = true;
        signal();
        interruptPause?.();
        await loop;
        try {
          await closeClient(consumer);
        } finally {
          await fetchPool.close();
        }
      })();
      return closing;
    },
  };
}

/**
 * The batches of one fetch answer, one per partition, from each partition's fetch offset on
 * (an answer can start earlier, at its record batch's first offset). Moves `positions` past them.
 */
function toBatches(result: FetchResult, topicNames: Map<string, string>, positions: Map<string, bigint>): MessageBatch[] {
  const batches: MessageBatch[] = [];
  for (const t of result.response!.responses) {
    const topic = topicNames.get(t.topicId);
    if (topic === undefined) continue;
    for (const p of t.partitions) {
      const records = p.records;
      if (!records || records.length === 0) continue;
      const key = `${topic}:${p.partitionIndex}`;
      const from = result.asked.get(key);
      if (from === undefined) continue;
      const messages: ConsumedMessage[] = [];
      for (const batch of records) {
        if (batch.attributes & IS_CONTROL) continue;
        const logAppendTime = (batch.attributes & LOG_APPEND_TIME) !== 0 ? Number(batch.maxTimestamp) : undefined;
        const firstTimestamp = Number(batch.firstTimestamp);
        // Offsets stay exact as Numbers below 2^53; beyond, BigInt.
        const safe = batch.firstOffset <= 9_007_199_254_740_000n;
        const firstOffset = Number(batch.firstOffset);
        for (const record of batch.records) {
          const offset = safe ? firstOffset + record.offsetDelta : batch.firstOffset + BigInt(record.offsetDelta);
          if (offset < from) continue;
          const headers: Record<string, Buffer | undefined> = {};
          for (const [name, value] of record.headers) {
            if (name === null) continue;
            const header = name.toString();
            // Several values under one name: the first wins, as with kafkajs.
            if (!(header in headers)) headers[header] = value ?? undefined;
          }
          messages.push({
            topic,
            partition: p.partitionIndex,
            offset: String(offset),
            key: record.key,
            value: record.value,
            headers,
            timestamp: logAppendTime ?? firstTimestamp + Number(record.timestampDelta),
          });
        }
      }
      const last = records.at(-1)!;
      positions.set(key, last.firstOffset + BigInt(last.lastOffsetDelta) + 1n);
      if (messages.length > 0) batches.push({ topic, partition: p.partitionIndex, messages, highWatermark: p.highWatermark.toString() });
    }
  }
  return batches;
}

/** The fetch answer a library error carries, if any (its partitions' error codes say which failed). */
function responseOf(error: unknown): FetchResponse | undefined {
  const e = error as { response?: { responses?: unknown }; errors?: unknown[] } | undefined;
  if (e?.response?.responses) return e.response as FetchResponse;
  for (const inner of e?.errors ?? []) {
    const found = responseOf(inner);
    if (found) return found;
  }
  return undefined;
}

/**
 * The topic names a consumer subscribes to: its names, which must exist (kafkajs's subscribe fails
 * at once on a missing one, where the library's metadata call would retry first), and the
 * topics that match its patterns now.
 */
async function resolveTopics(base: BaseOptions, topics: (string | RegExp)[]): Promise<string[]> {
  const names = topics.filter((t): t is string => typeof t === "string");
  const patterns = topics.filter((t): t is RegExp => t instanceof RegExp);
  const admin = new PltAdmin(base);
  try {
    const existing = await admin.listTopics({ includeInternals: true });
    const missing = names.filter((name) => !existing.includes(name));
    if (missing.length > 0) throw new Error(`topic ${missing.join(", ")} does not exist`);
    return [...new Set([...names, ...existing.filter((t) => patterns.some((p) => p.test(t)))])];
  } finally {
    await admin.close();
  }
}

function platformaticAdmin(admin: PltAdmin): Admin {
  // The library deduplicates concurrent createPartitions calls whatever their topics: one at a time.
  let partitionsQueue: Promise<unknown> = Promise.resolve();

  const partitionCount = async (topic: string) => {
    const metadata = await admin.metadata({ topics: [topic], forceUpdate: true });
    return metadata.topics.get(topic)?.partitionsCount ?? 0;
  };

  /** Resolves once each topic has at least `minPartitions` partitions (default 1), each with a leader. */
  const waitForLeaders = async (topics: string[], minPartitions = 1) => {
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        const metadata = await admin.metadata({ topics, forceUpdate: true });
        const ready = topics.every((t) => {
          const topic = metadata.topics.get(t);
          return topic !== undefined && topic.partitionsCount >= minPartitions && topic.partitions.every((p) => p !== undefined && p.leader >= 0);
        });
        if (ready) return;
      } catch (error) {
        if (Date.now() > deadline) throw error;
      }
      if (Date.now() > deadline) throw new Error(`no leaders for ${topics.join(", ")}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };

  // Built without the Admin annotation and returned as one: a method the interface gains later
  // fails the compile at the return, and one it drops is no excess-property error.
  const api = {
    async createTopics(topics: TopicSpec[]): Promise<string[]> {
      const existing = new Set(await admin.listTopics({ includeInternals: true }));
      const missing = topics.filter((t) => !existing.has(t.name));
      if (missing.length === 0) return [];
      const created = await Promise.all(
        missing.map(async (t) => {
          try {
            await admin.createTopics({
              topics: [t.name],
              partitions: t.partitions,
              replicas: t.replicationFactor ?? 1,
              configs: Object.entries(t.configs ?? {}).map(([name, value]) => ({ name, value })),
            });
            return t.name;
          } catch (error) {
            // Created meanwhile by someone else: not ours.
            if (hasApiCode(error, TOPIC_ALREADY_EXISTS)) return undefined;
            throw error;
          }
        }),
      );
      const names = created.filter((name): name is string => name !== undefined);
      if (names.length > 0) await waitForLeaders(names);
      return names;
    },
    async deleteTopics(names: string[]): Promise<void> {
      if (names.length > 0) await admin.deleteTopics({ topics: names });
    },
    // As kafkajs's: internal topics (__consumer_offsets) included.
    listTopics: (): Promise<string[]> => admin.listTopics({ includeInternals: true }),
    async partitionCounts(names: string[]): Promise<Map<string, number>> {
      const metadata = await admin.metadata({ topics: names, forceUpdate: true });
      return new Map(names.map((name) => [name, metadata.topics.get(name)?.partitionsCount ?? 0]));
    },
    async topicConfigs(topic: string): Promise<Record<string, string>> {
      const [resource] = await admin.describeConfigs({ resources: [{ resourceType: ConfigResourceTypes.TOPIC, resourceName: topic }] });
      const configs: Record<string, string> = {};
      for (const c of resource?.configs ?? []) if (c.value != null) configs[c.name] = c.value;
      return configs;
    },
    async setTopicConfigs(topic: string, configs: Record<string, string>): Promise<void> {
      await admin.incrementalAlterConfigs({
        resources: [
          {
            resourceType: ConfigResourceTypes.TOPIC,
            resourceName: topic,
            configs: Object.entries(configs).map(([name, value]) => ({ name, value, configOperation: IncrementalAlterConfigOperationTypes.SET })),
          },
        ],
      });
    },
    async createPartitions(topic: string, count: number): Promise<void> {
      const run = partitionsQueue.then(() => admin.createPartitions({ topics: [{ name: topic, count }] }));
      partitionsQueue = run.catch(() => undefined);
      await run;
      // Resolve only once every new partition has a leader, so the next call can use it.
      await waitForLeaders([topic], count);
    },
    async topicOffsets(topic: string): Promise<PartitionOffsets[]> {
      const count = await partitionCount(topic);
      const list = async (timestamp: bigint) => {
        const [result] = await admin.listOffsets({
          topics: [{ name: topic, partitions: Array.from({ length: count }, (_, i) => ({ partitionIndex: i, timestamp })) }],
          isolationLevel: FetchIsolationLevels.READ_UNCOMMITTED,
        });
        return new Map((result?.partitions ?? []).map((p) => [p.partitionIndex, p.offset.toString()]));
      };
      const [low, high] = await Promise.all([list(ListOffsetTimestamps.EARLIEST), list(ListOffsetTimestamps.LATEST)]);
      return Array.from({ length: count }, (_, partition) => ({
        partition,
        low: low.get(partition) ?? "0",
        high: high.get(partition) ?? "0",
      }));
    },
    async groupOffsets(groupId: string, topic: string): Promise<Map<number, string>> {
      const count = await partitionCount(topic);
      const partitionIndexes = Array.from({ length: count }, (_, i) => i);
      const [group] = await admin.listConsumerGroupOffsets({ groups: [{ groupId, topics: [{ name: topic, partitionIndexes }] }] });
      const committed = new Map<number, string>(partitionIndexes.map((p) => [p, "-1"]));
      for (const t of group?.topics ?? []) {
        for (const p of t.partitions) committed.set(p.partitionIndex, p.committedOffset.toString());
      }
      return committed;
    },
    async deleteGroups(groupIds: string[]): Promise<void> {
      if (groupIds.length > 0) await admin.deleteGroups({ groups: groupIds });
    },
    async groupMembers(groupId: string): Promise<number> {
      const groups = await admin.describeGroups({ groups: [groupId] });
      return groups.get(groupId)?.members.size ?? 0;
    },
    async brokers(): Promise<number[]> {
      const metadata = await admin.metadata({ topics: [], forceUpdate: true });
      return [...metadata.brokers.keys()];
    },
    close: (): Promise<void> => admin.close(),
  };
  return api;
}

/** The library connects lazily; this asks for the brokers so a bad address fails now, as with kafkajs. */
async function connected(client: PltClient) {
  try {
    await client.metadata({ topics: [] });
  } catch (error) {
    await closeClient(client).catch(() => undefined);
    throw error;
  }
}

/** Closes a client, and with it the streams it still has open. */
function closeClient(client: PltClient): Promise<void> {
  if (client instanceof PltAdmin) return client.close();
  return new Promise((resolve, reject) => client.close(true, (error) => (error ? reject(error) : resolve())));
}

function forwardClientEvents(client: PltClient, log: Log) {
  client.on("client:broker:failed", (payload) => log("warn", "broker connection failed", { broker: payload.broker }));
}

function hasApiCode(error: unknown, code: number): boolean {
  const found = (error as { findBy?: (property: string, value: unknown) => unknown }).findBy?.("apiCode", code);
  return found !== null && found !== undefined;
}

/** Header names are few (sz-id, sz-received-at, ...): their bytes are made once and shared. */
const headerNames = new Map<string, Buffer>();
function headerName(name: string): Buffer {
  let bytes = headerNames.get(name);
  if (bytes === undefined) {
    bytes = Buffer.from(name);
    if (headerNames.size < 1_000) headerNames.set(name, bytes);
  }
  return bytes;
}

function toBuffer(value: string | Buffer): Buffer {
  return typeof value === "string" ? Buffer.from(value) : value;
}
