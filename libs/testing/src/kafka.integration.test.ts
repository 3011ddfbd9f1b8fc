import type { ConsumedMessage } from "@schematizer/kafka";
import { waitFor } from "@schematizer/errors";
import { describe, expect } from "vitest";
import { test } from "./fixtures.ts";

describe("Kafka through the project's interface", () => {
  test("a keyed produce is consumed in a consumer group, offsets committed", async ({ kafka }) => {
    const topic = await kafka.createTopic("events", 3);
    const producer = await kafka.client.producer();
    const sent = Array.from({ length: 60 }, (_, i) => ({
      key: `user-${i % 6}`,
      value: JSON.stringify({ n: i }),
      headers: { "content-type": "application/json", seq: String(i) },
    }));
    await producer.send([{ topic, messages: sent }]);
    await producer.close();

    const groupId = kafka.group("reader");
    const consumer = await kafka.client.consumer({ groupId, topics: [topic] });
    const received: ConsumedMessage[] = [];
    await consumer.run(async (batch) => {
      received.push(...batch.messages);
    });
    await waitFor("all messages", async () => (received.length >= sent.length ? true : undefined), { timeoutMs: 30_000 });
    await consumer.close();

    expect(received).toHaveLength(sent.length);
    expect(new Set(received.map((m) => JSON.parse(m.value!.toString()).n))).toEqual(new Set(sent.map((_, i) => i)));
    // One key, one partition: an entity's events stay in order.
    const partitionsByKey = new Map<string, Set<number>>();
    for (const m of received) {
      const key = m.key!.toString();
      partitionsByKey.set(key, (partitionsByKey.get(key) ?? new Set()).add(m.partition));
      expect(m.headers["content-type"]?.toString()).toBe("application/json");
    }
    for (const partitions of partitionsByKey.values()) expect(partitions.size).toBe(1);
    for (const key of partitionsByKey.keys()) {
      const seqs = received.filter((m) => m.key!.toString() === key).map((m) => Number(m.headers.seq!.toString()));
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    }

    // The group's committed offsets equal the end of each partition it read: nothing is read twice on restart.
    const ends = (await kafka.admin.topicOffsets(topic)).filter((p) => p.high !== "0");
    const committed = await kafka.admin.groupOffsets(groupId, topic);
    expect(ends.length).toBeGreaterThan(1);
    for (const { partition, high } of ends) expect(committed.get(partition)).toBe(high);
    expect(ends.reduce((sum, p) => sum + Number(p.high), 0)).toBe(sent.length);
  });

  test("topics are created idempotently and partitions grow", async ({ kafka }) => {
    const name = `${kafka.prefix}grow`;
    expect(await kafka.admin.createTopics([{ name, partitions: 1, configs: { "retention.ms": "3600000" } }])).toEqual([name]);
    expect(await kafka.admin.createTopics([{ name, partitions: 1 }])).toEqual([]);
    await kafka.admin.createPartitions(name, 4);
    expect((await kafka.admin.partitionCounts([name])).get(name)).toBe(4);

    const producer = await kafka.client.producer();
    await producer.send([{ topic: name, messages: [{ value: "to the new partition", partition: 3 }] }]);
    await producer.close();
    const offsets = await kafka.admin.topicOffsets(name);
    expect(offsets.map((o) => o.high)).toEqual(["0", "0", "0", "1"]);
  });
});

describe("a pattern consumer", () => {
  test("picks up a matching topic created after it started, and ignores others", async ({ kafka }) => {
    const { watchingConsumer, topicPattern } = await import("@schematizer/kafka");
    const first = await kafka.createTopic("raw.first");
    const seen: string[] = [];
    const consumer = await watchingConsumer(kafka.client, {
      groupId: kafka.group("watch"),
      pattern: topicPattern("raw", kafka.prefix),
      refreshMs: 300,
    });
    await consumer.run(async (batch) => {
      for (const m of batch.messages) seen.push(`${batch.topic}:${m.value!.toString()}`);
    });
    const producer = await kafka.client.producer();
    await producer.send([{ topic: first, messages: [{ value: "one" }] }]);
    const second = await kafka.createTopic("raw.second");
    const other = await kafka.createTopic("sql.second");
    await producer.send([
      { topic: second, messages: [{ value: "two" }] },
      { topic: other, messages: [{ value: "not for me" }] },
    ]);
    await producer.close();
    await waitFor("both topics", async () => (seen.length >= 2 ? true : undefined), { timeoutMs: 30_000 });
    await consumer.close();
    expect(seen.sort()).toEqual([`${first}:one`, `${second}:two`]);
  });
});
