import { waitFor } from "@schematizer/errors";
import { topicPattern } from "@schematizer/contracts";
import { createKafkaClient, KAFKA_CLIENTS, platformaticClient, watchingConsumer, type ConsumedMessage, type KafkaClient, type MessageBatch } from "@schematizer/kafka";
import { describe, expect } from "vitest";
import { test as base } from "./fixtures.ts";
import { privateKafka } from "./private-kafka.ts";
import { readTopic } from "./read-topic.ts";

/**
 * The behaviour every KafkaClient implementation must have, checked on each of them against the
 * real broker; the stack fixture's own kafkajs admin is the independent witness. Then the two
 * clients together, as during a rolling switch from one to the other.
 */

const until = (what: string, ok: () => boolean, timeoutMs = 30_000) =>
  waitFor(what, async () => (ok() ? true : undefined), { timeoutMs, intervalMs: 25 });

describe.each(KAFKA_CLIENTS)("the %s client through the project's interface", (kind) => {
  const test = base.extend<{ client: KafkaClient }>({
    client: async ({ endpoints }, use) => {
      await use(createKafkaClient(kind, { brokers: endpoints.kafka.brokers, clientId: `test-${kind}` }));
    },
  });

  test("a keyed produce is consumed in a consumer group, offsets committed", async ({ kafka, client }) => {
    const topic = await kafka.createTopic("events", 3);
    const producer = await client.producer();
    const sent = Array.from({ length: 60 }, (_, i) => ({
      key: `user-${i % 6}`,
      value: JSON.stringify({ n: i }),
      headers: { "content-type": "application/json", seq: String(i) },
    }));
    await producer.send([{ topic, messages: sent }]);
    await producer.close();

    const groupId = kafka.group("reader");
    const consumer = await client.consumer({ groupId, topics: [topic] });
    const received: ConsumedMessage[] = [];
    const batches: MessageBatch[] = [];
    await consumer.run(async (batch) => {
      batches.push(batch);
      received.push(...batch.messages);
    });
    await until("all messages", () => received.length >= sent.length);
    await consumer.close();

    expect(received).toHaveLength(sent.length);
    expect(new Set(received.map((m) => JSON.parse(m.value!.toString()).n))).toEqual(new Set(sent.map((_, i) => i)));
    const partitionsByKey = new Map<string, Set<number>>();
    for (const m of received) {
      const key = m.key!.toString();
      partitionsByKey.set(key, (partitionsByKey.get(key) ?? new Set()).add(m.partition));
      expect(Buffer.isBuffer(m.headers["content-type"])).toBe(true);
      expect(m.headers["content-type"]?.toString()).toBe("application/json");
      expect(m.offset).toMatch(/^\d+$/);
      expect(Math.abs(m.timestamp - Date.now())).toBeLessThan(60_000);
    }
    for (const partitions of partitionsByKey.values()) expect(partitions.size).toBe(1);
    for (const key of partitionsByKey.keys()) {
      const seqs = received.filter((m) => m.key!.toString() === key).map((m) => Number(m.headers.seq!.toString()));
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    }
    for (const batch of batches) {
      expect(batch.messages.every((m) => m.topic === batch.topic && m.partition === batch.partition)).toBe(true);
      expect(BigInt(batch.highWatermark)).toBeGreaterThan(BigInt(batch.messages.at(-1)!.offset));
    }

    // Committed offsets equal each partition's end, seen through both clients' admins.
    const admin = await client.admin();
    try {
      const ends = (await admin.topicOffsets(topic)).filter((p) => p.high !== "0");
      expect(ends).toEqual((await kafka.admin.topicOffsets(topic)).filter((p) => p.high !== "0"));
      expect(ends.length).toBeGreaterThan(1);
      const committed = await admin.groupOffsets(groupId, topic);
      expect(committed).toEqual(await kafka.admin.groupOffsets(groupId, topic));
      for (const { partition, high } of ends) expect(committed.get(partition)).toBe(high);
      expect(ends.reduce((sum, p) => sum + Number(p.high), 0)).toBe(sent.length);
    } finally {
      await admin.close();
    }
  });


  test("values, nulls, timestamps and headers round-trip as bytes", async ({ kafka, client }) => {
    const topic = await kafka.createTopic("bytes");
    const producer = await client.producer({ compression: "gzip" });
    const binary = Buffer.from([0, 1, 2, 250, 255]);
    await producer.send([
      {
        topic,
        messages: [
          { key: "k", value: binary, headers: { raw: binary, text: "é" }, timestamp: 1_700_000_000_123 },
          { key: "k", value: null },
          { value: "no key" },
        ],
      },
    ]);
    await producer.close();
    const [first, tombstone, keyless] = await readTopic(client, topic, kafka.group("bytes"), { count: 3 });
    expect(first!.value).toEqual(binary);
    expect(first!.headers.raw).toEqual(binary);
    expect(first!.headers.text?.toString()).toBe("é");
    expect(first!.timestamp).toBe(1_700_000_000_123);
    expect(tombstone!.value).toBeNull();
    expect(tombstone!.key?.toString()).toBe("k");
    expect(keyless!.key).toBeNull();
    expect(keyless!.headers).toEqual({});
  });

  test("topics are created idempotently and partitions grow", async ({ kafka, client }) => {
    const admin = await client.admin();
    try {
      const name = `${kafka.prefix}grow`;
      expect(await admin.createTopics([{ name, partitions: 1, configs: { "retention.ms": "3600000" } }])).toEqual([name]);
      expect(await admin.createTopics([{ name, partitions: 1 }])).toEqual([]);
      expect((await admin.topicConfigs(name))["retention.ms"]).toBe("3600000");
      expect(await admin.listTopics()).toContain(name);
      await admin.createPartitions(name, 4);
      expect((await admin.partitionCounts([name])).get(name)).toBe(4);

      const producer = await client.producer();
      await producer.send([{ topic: name, messages: [{ value: "to the new partition", partition: 3 }] }]);
      // A partition that does not exist is refused: neither written to another nor dropped quietly.
      await expect(producer.send([{ topic: name, messages: [{ value: "nowhere", partition: 4 }] }])).rejects.toThrow(/partition 4/);
      await producer.close();
      const offsets = await admin.topicOffsets(name);
      expect(offsets.map((o) => o.high)).toEqual(["0", "0", "0", "1"]);
      expect(offsets.map((o) => o.low)).toEqual(["0", "0", "0", "0"]);
      expect(await kafka.admin.topicOffsets(name)).toEqual(offsets);

      expect(await admin.brokers()).toEqual(await kafka.admin.brokers());
      await admin.deleteTopics([name]);
      await waitFor("topic deleted", async () => ((await admin.listTopics()).includes(name) ? undefined : true), { timeoutMs: 10_000 });
    } finally {
      await admin.close();
    }
  });

  test("group members are counted, and offsets are committed only after the handler resolved", async ({ kafka, client }) => {
    const topic = await kafka.createTopic("slow", 2);
    const producer = await client.producer();
    await producer.send([{ topic, messages: [{ value: "a", partition: 0 }] }]);
    const admin = await client.admin();
    const groupId = kafka.group("slow");
    const consumer = await client.consumer({ groupId, topics: [topic] });
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const seen: string[] = [];
    try {
      await consumer.run(async (batch) => {
        seen.push(...batch.messages.map((m) => m.value!.toString()));
        await released;
      });
      await until("the batch in hand", () => seen.length === 1);
      expect(await admin.groupMembers(groupId)).toBe(1);
      expect(await kafka.admin.groupMembers(groupId)).toBe(1);
      expect(await admin.groupOffsets(groupId, topic)).toEqual(new Map([[0, "-1"], [1, "-1"]]));
      release();
      await waitFor("the commit", async () => ((await admin.groupOffsets(groupId, topic)).get(0) === "1" ? true : undefined), {
        timeoutMs: 10_000,
        intervalMs: 50,
      });
      expect((await admin.groupOffsets(groupId, topic)).get(1)).toBe("-1");
    } finally {
      await consumer.close();
      await producer.close();
    }
    expect(await admin.groupMembers(groupId)).toBe(0);
    expect(await admin.groupMembers(kafka.group("never-seen"))).toBe(0);
    await admin.close();
  });

  test("a handler that throws gets its batch again, and nothing is lost", async ({ kafka, client }) => {
    const topic = await kafka.createTopic("retry", 2);
    const producer = await client.producer();
    await producer.send([{ topic, messages: Array.from({ length: 40 }, (_, i) => ({ key: `k${i}`, value: String(i) })) }]);
    await producer.close();
    const groupId = kafka.group("retry");
    const consumer = await client.consumer({ groupId, topics: [topic] });
    const handled = new Set<string>();
    let failures = 0;
    await consumer.run(async (batch) => {
      if (failures < 2 && batch.messages.some((m) => m.value!.toString() === "7")) {
        failures++;
        throw new Error("not now");
      }
      for (const m of batch.messages) handled.add(m.value!.toString());
    });
    await until("every message handled", () => handled.size === 40);
    await consumer.close();
    expect(failures).toBe(2);
    const ends = await kafka.admin.topicOffsets(topic);
    const committed = await kafka.admin.groupOffsets(groupId, topic);
    for (const { partition, high } of ends) if (high !== "0") expect(committed.get(partition)).toBe(high);
  });

  test("a consumer resumes from its group's committed offsets; without any, fromBeginning false starts at the end", async ({ kafka, client }) => {
    const topic = await kafka.createTopic("resume");
    const producer = await client.producer();
    await producer.send([{ topic, messages: [{ value: "1" }, { value: "2" }] }]);
    const groupId = kafka.group("resume");
    expect((await readTopic(client, topic, groupId, { count: 2 })).map((m) => m.value!.toString())).toEqual(["1", "2"]);
    await producer.send([{ topic, messages: [{ value: "3" }] }]);
    expect((await readTopic(client, topic, groupId, { count: 1 })).map((m) => m.value!.toString())).toEqual(["3"]);

    const latest: string[] = [];
    const consumer = await client.consumer({ groupId: kafka.group("latest"), topics: [topic], fromBeginning: false });
    await consumer.run(async (batch) => {
      latest.push(...batch.messages.map((m) => m.value!.toString()));
    });
    // The group has joined and chosen its start once run() resolved; what comes after is read.
    await new Promise((resolve) => setTimeout(resolve, 500));
    await producer.send([{ topic, messages: [{ value: "4" }] }]);
    await until("the new message", () => latest.length >= 1);
    await consumer.close();
    await producer.close();
    expect(latest).toEqual(["4"]);
  });

  test("a pattern subscribes to the topics that match when the consumer starts", async ({ kafka, client }) => {
    const [a, b] = [await kafka.createTopic("pat.a"), await kafka.createTopic("pat.b")];
    await kafka.createTopic("other");
    const producer = await client.producer();
    await producer.send([
      { topic: a, messages: [{ value: "a" }] },
      { topic: b, messages: [{ value: "b" }] },
    ]);
    await producer.close();
    const escaped = kafka.prefix.replace(/[.]/g, "\\.");
    const consumer = await client.consumer({ groupId: kafka.group("pat"), topics: [new RegExp(`^${escaped}pat\\.`)] });
    const seen: string[] = [];
    await consumer.run(async (batch) => {
      seen.push(...batch.messages.map((m) => `${batch.topic}:${m.value!.toString()}`));
    });
    await until("both topics", () => seen.length >= 2);
    await consumer.close();
    expect(seen.sort()).toEqual([`${a}:a`, `${b}:b`]);
  });

  test("a consumer of a missing topic fails at once", async ({ kafka, client }) => {
    await expect(client.consumer({ groupId: kafka.group("missing"), topics: [`${kafka.prefix}missing`] })).rejects.toThrow();
  });

  test("a watching consumer picks up a matching topic created after it started, and ignores others", async ({ kafka, client }) => {
    const first = await kafka.createTopic("raw.first");
    const seen: string[] = [];
    const consumer = await watchingConsumer(client, {
      groupId: kafka.group("watch"),
      pattern: topicPattern("raw", kafka.prefix),
      refreshMs: 300,
    });
    await consumer.run(async (batch) => {
      for (const m of batch.messages) seen.push(`${batch.topic}:${m.value!.toString()}`);
    });
    const producer = await client.producer();
    await producer.send([{ topic: first, messages: [{ value: "one" }] }]);
    const second = await kafka.createTopic("raw.second");
    const other = await kafka.createTopic("sql.second");
    await producer.send([
      { topic: second, messages: [{ value: "two" }] },
      { topic: other, messages: [{ value: "not for me" }] },
    ]);
    await producer.close();
    await until("both topics", () => seen.length >= 2);
    await consumer.close();
    expect(seen.sort()).toEqual([`${first}:one`, `${second}:two`]);
  });

  test("a watching consumer picks up partitions added to its topic, from their earliest offset, and reports them", async ({ kafka, client }) => {
    const refreshMs = 1_000;
    const topic = await kafka.createTopic("raw.grow", 2);
    const seen = new Set<string>();
    const consumer = await watchingConsumer(client, { groupId: kafka.group("grow"), pattern: topicPattern("raw", kafka.prefix), refreshMs });
    await consumer.run(async (batch) => {
      for (const m of batch.messages) seen.add(`${batch.partition}:${m.value!.toString()}`);
    });
    const send = async (messages: [number, string][]) => {
      // A producer made now knows every partition the topic has.
      const producer = await client.producer();
      await producer.send([{ topic, messages: messages.map(([partition, value]) => ({ partition, value })) }]);
      await producer.close();
    };
    try {
      // The group commits on the first partitions, so it is not new when the others arrive.
      await send([[0, "a"], [1, "b"]]);
      await until("the first messages", () => seen.size === 2);
      expect(consumer.assignments()).toEqual(new Map([[topic, [0, 1]]]));

      await kafka.admin.createPartitions(topic, 4);
      // Written before the consumer can have noticed the new partitions.
      await send([[2, "c"], [3, "d"], [0, "e"]]);
      const written = performance.now();
      await until("the messages of the new partitions", () => seen.size === 5, 30_000);
      // One refresh to notice, then a rebalance.
      expect(performance.now() - written).toBeLessThan(refreshMs + 10_000);
      await send([[3, "f"], [2, "g"]]);
      await until("the messages written after", () => seen.size === 7);
      expect([...seen].sort()).toEqual(["0:a", "0:e", "1:b", "2:c", "2:g", "3:d", "3:f"]);
      expect(consumer.assignments()).toEqual(new Map([[topic, [0, 1, 2, 3]]]));
    } finally {
      await consumer.close();
    }
    expect(consumer.assignments()).toEqual(new Map());
  });

  test("a consumer reports its partitions; a member joining just after partitions were added gets them assigned", async ({ kafka, client }) => {
    const topic = await kafka.createTopic("assigned", 2);
    const groupId = kafka.group("assigned");
    const first = await client.consumer({ groupId, topics: [topic], sessionTimeoutMs: 6_000 });
    expect(first.assignments()).toEqual(new Map());
    await first.run(async () => undefined);
    await until("the first member assigned", () => first.assignments().get(topic)?.length === 2);
    // The first member leads the group, and read the topic's metadata when it joined: the new
    // member's rebalance must be planned on the partitions the topic has now.
    await kafka.admin.createPartitions(topic, 4);
    const second = await client.consumer({ groupId, topics: [topic], sessionTimeoutMs: 6_000 });
    await second.run(async () => undefined);
    const all = () => [...(first.assignments().get(topic) ?? []), ...(second.assignments().get(topic) ?? [])].sort();
    try {
      // Each member's view changes when its own part of the rebalance is done: wait for both.
      await until("every partition assigned once", () => all().join() === "0,1,2,3" && second.assignments().size > 0, 20_000);
    } finally {
      await second.close();
      await first.close();
    }
    expect(first.assignments()).toEqual(new Map());
  });

  test("close() of an idle consumer returns within about a second", async ({ kafka, client }) => {
    const topic = await kafka.createTopic("idle");
    const consumer = await client.consumer({ groupId: kafka.group("idle"), topics: [topic] });
    await consumer.run(async () => undefined);
    // Let it settle into waiting on an empty fetch.
    await new Promise((resolve) => setTimeout(resolve, 700));
    const started = performance.now();
    await consumer.close();
    expect(performance.now() - started).toBeLessThan(1_200);
  });

  test(
    "a consumer picks up again after the broker comes back, and nothing is lost",
    async ({ kafka: fixture }) => {
      const broker = await privateKafka();
      try {
        await broker.start();
        const client = createKafkaClient(kind, { brokers: broker.brokers, clientId: `${kind}-restart`, retries: 1, requestTimeoutMs: 2_000, connectionTimeoutMs: 1_000 });
        const admin = await client.admin();
        const topic = `${fixture.prefix}restart`;
        await admin.createTopics([{ name: topic, partitions: 2 }]);
        const seen = new Set<string>();
        const groupId = `${fixture.prefix}restart`;
        const consumer = await client.consumer({ groupId, topics: [topic], sessionTimeoutMs: 10_000 });
        await consumer.run(async (batch) => {
          for (const m of batch.messages) seen.add(m.value!.toString());
        });
        const send = async (from: number) => {
          const producer = await client.producer();
          await producer.send([{ topic, messages: Array.from({ length: 20 }, (_, i) => ({ key: `k${i}`, value: String(from + i) })) }]);
          await producer.close();
        };
        await send(0);
        await until("the first messages", () => seen.size === 20);

        // Stopped while the consumer idles, so no commit happens to rejoin it by the way.
        await broker.stop();
        await new Promise((resolve) => setTimeout(resolve, 5_000));
        await broker.start();
        await waitFor("the broker back", async () => ((await admin.brokers()).length > 0 ? true : undefined), { timeoutMs: 60_000, intervalMs: 500 });
        // Past the session timeout: a member whose heartbeats stopped would have been dropped.
        await new Promise((resolve) => setTimeout(resolve, 12_000));
        await waitFor("the member in its group", async () => ((await admin.groupMembers(groupId)) === 1 ? true : undefined), { timeoutMs: 15_000, intervalMs: 500 });
        await waitFor("a send to succeed", async () => (await send(20).then(() => true, () => undefined)), { timeoutMs: 60_000, intervalMs: 500 });
        await until("the messages sent after the restart", () => seen.size === 40, 90_000);
        await consumer.close();
        await admin.close();
      } finally {
        await broker.dispose();
      }
    },
    240_000,
  );
});

describe("the two clients together", () => {
  const test = base.extend<{ plt: KafkaClient }>({
    plt: async ({ endpoints }, use) => {
      await use(platformaticClient({ brokers: endpoints.kafka.brokers, clientId: "test-plt" }));
    },
  });

  test("a key lands on the same partition as with kafkajs, and either client reads the other's messages", async ({ kafka, plt }) => {
    const [viaKafkajs, viaPlt] = [await kafka.createTopic("kjs", 7), await kafka.createTopic("plt", 7)];
    const messages = Array.from({ length: 200 }, (_, i) => ({ key: `entity-${i}-${(i * 7919) % 1000}`, value: `v${i}` }));
    const kjsProducer = await kafka.client.producer();
    await kjsProducer.send([{ topic: viaKafkajs, messages }]);
    await kjsProducer.close();
    const pltProducer = await plt.producer();
    await pltProducer.send([{ topic: viaPlt, messages: messages.map((m) => ({ ...m, key: Buffer.from(m.key) })) }]);
    await pltProducer.close();

    const placement = (read: ConsumedMessage[]) => new Map(read.map((m) => [m.key!.toString(), m.partition]));
    const readByPlt = await readTopic(plt, viaKafkajs, kafka.group("read-kjs"), { count: messages.length });
    const readByKafkajs = await readTopic(kafka.client, viaPlt, kafka.group("read-plt"), { count: messages.length });
    expect(placement(readByKafkajs)).toEqual(placement(readByPlt));
    expect(new Set(placement(readByPlt).values()).size).toBe(7);
  });

  test("a kafkajs and a platformatic consumer share one group, as during a rolling switch", async ({ kafka, plt }) => {
    const topic = await kafka.createTopic("mixed", 4);
    const groupId = kafka.group("mixed");
    const byClient = { plt: [] as ConsumedMessage[], kafkajs: [] as ConsumedMessage[] };
    // The platformatic member joins first, so it leads the group and computes the assignment.
    const pltConsumer = await plt.consumer({ groupId, topics: [topic] });
    await pltConsumer.run(async (batch) => void byClient.plt.push(...batch.messages));
    const kjsConsumer = await kafka.client.consumer({ groupId, topics: [topic] });
    await kjsConsumer.run(async (batch) => void byClient.kafkajs.push(...batch.messages));
    try {
      await waitFor("both members", async () => ((await kafka.admin.groupMembers(groupId)) === 2 ? true : undefined), { timeoutMs: 30_000 });
      const producer = await plt.producer();
      await producer.send([{ topic, messages: Array.from({ length: 200 }, (_, i) => ({ key: `k${i}`, value: String(i) })) }]);
      await producer.close();
      const values = () => new Set([...byClient.plt, ...byClient.kafkajs].map((m) => m.value!.toString()));
      await until("every message", () => values().size === 200);
      expect(byClient.plt.length).toBeGreaterThan(0);
      expect(byClient.kafkajs.length).toBeGreaterThan(0);
      const partitions = (read: ConsumedMessage[]) => new Set(read.map((m) => m.partition));
      expect([...partitions(byClient.plt)].filter((p) => partitions(byClient.kafkajs).has(p))).toEqual([]);
    } finally {
      await kjsConsumer.close();
      await pltConsumer.close();
    }
    const ends = await kafka.admin.topicOffsets(topic);
    const committed = await kafka.admin.groupOffsets(groupId, topic);
    for (const { partition, high } of ends) if (high !== "0") expect(committed.get(partition)).toBe(high);
  });
});
