import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Admin, Consumer, ConsumerOptions, KafkaClient } from "./kafka-client.ts";
import { watchingConsumer } from "./topic-watching-consumer.ts";

/**
 * The watcher's decisions, on a stand-in client whose topics the test sets: when it replaces its
 * inner consumer, with which topics, and what it does when that fails. Against the real broker,
 * the behaviour suite (libs/testing) checks the same on both clients.
 */
function fakeClient() {
  const topics = new Map<string, number>();
  const started: { options: ConsumerOptions; closed: boolean; failed: boolean }[] = [];
  let failNext = 0;
  const client: KafkaClient = {
    producer: () => Promise.reject(new Error("not used")),
    async consumer(options) {
      if (failNext > 0) {
        failNext--;
        throw new Error("broker unreachable");
      }
      const entry = { options, closed: false, failed: false };
      started.push(entry);
      const consumer: Consumer = {
        run: async () => undefined,
        assignments: () => new Map(options.topics.map((t) => [String(t), Array.from({ length: topics.get(String(t)) ?? 0 }, (_, i) => i)])),
        failed: () => entry.failed,
        close: async () => void (entry.closed = true),
      };
      return consumer;
    },
    async admin() {
      const admin: Partial<Admin> = {
        listTopics: async () => [...topics.keys()],
        partitionCounts: async (names) => new Map(names.map((n) => [n, topics.get(n) ?? 0])),
        close: async () => undefined,
      };
      return admin as Admin;
    },
  };
  return {
    client,
    topics,
    started,
    failConsumers: (count: number) => void (failNext = count),
    running: () => started.filter((s) => !s.closed).map((s) => s.options.topics),
  };
}

const REFRESH_MS = 1_000;
const tick = () => vi.advanceTimersByTimeAsync(REFRESH_MS);

describe("watchingConsumer", () => {
  beforeEach(() => void vi.useFakeTimers());
  afterEach(() => void vi.useRealTimers());

  it("replaces its consumer when partitions are added to a consumed topic, not only when topics change", async () => {
    const kafka = fakeClient();
    kafka.topics.set("raw.a", 2).set("sql.a", 2);
    const changes: [string[], Map<string, number>][] = [];
    const consumer = await watchingConsumer(kafka.client, {
      groupId: "g",
      pattern: /^raw\./,
      refreshMs: REFRESH_MS,
      onTopicsChanged: (topics, partitions) => changes.push([topics, partitions]),
    });
    await consumer.run(async () => undefined);
    expect(kafka.running()).toEqual([["raw.a"]]);
    expect(consumer.assignments()).toEqual(new Map([["raw.a", [0, 1]]]));

    await tick();
    expect(kafka.started).toHaveLength(1);

    kafka.topics.set("raw.a", 4);
    kafka.topics.set("sql.a", 8);
    await tick();
    expect(kafka.started).toHaveLength(2);
    expect(kafka.running()).toEqual([["raw.a"]]);
    expect(consumer.assignments()).toEqual(new Map([["raw.a", [0, 1, 2, 3]]]));

    // Partitions of a topic it does not consume change nothing.
    kafka.topics.set("sql.a", 9);
    await tick();
    expect(kafka.started).toHaveLength(2);

    kafka.topics.set("raw.b", 1);
    await tick();
    expect(kafka.running()).toEqual([["raw.a", "raw.b"]]);
    expect(changes).toEqual([
      [["raw.a"], new Map([["raw.a", 2]])],
      [["raw.a"], new Map([["raw.a", 4]])],
      [["raw.a", "raw.b"], new Map([["raw.a", 4], ["raw.b", 1]])],
    ]);
    await consumer.close();
    expect(kafka.running()).toEqual([]);
    expect(consumer.assignments()).toEqual(new Map());
  });

  it("retries on the next tick when a refresh fails to start the new consumer", async () => {
    const kafka = fakeClient();
    kafka.topics.set("raw.a", 1);
    const failures: unknown[] = [];
    const consumer = await watchingConsumer(kafka.client, {
      groupId: "g",
      pattern: /^raw\./,
      refreshMs: REFRESH_MS,
      onRefreshFailed: (error) => failures.push(error),
    });
    await consumer.run(async () => undefined);

    kafka.topics.set("raw.b", 1);
    kafka.failConsumers(1);
    await tick();
    expect(failures).toHaveLength(1);
    // The old consumer was closed and no new one runs: nothing is consumed until the retry.
    expect(kafka.running()).toEqual([]);
    expect(consumer.assignments()).toEqual(new Map());

    await tick();
    expect(kafka.running()).toEqual([["raw.a", "raw.b"]]);
    expect(failures).toHaveLength(1);
    await consumer.close();
  });

  it("replaces a consumer that stopped on an error its client gives up on, on the same topics", async () => {
    const kafka = fakeClient();
    kafka.topics.set("raw.a", 2);
    const consumer = await watchingConsumer(kafka.client, { groupId: "g", pattern: /^raw\./, refreshMs: REFRESH_MS });
    await consumer.run(async () => undefined);
    await tick();
    expect(kafka.started).toHaveLength(1);

    kafka.started[0]!.failed = true;
    await tick();
    expect(kafka.started).toHaveLength(2);
    expect(kafka.started[0]!.closed).toBe(true);
    expect(kafka.running()).toEqual([["raw.a"]]);
    expect(consumer.failed()).toBe(false);
    await consumer.close();
  });

  it("a first run that fails is retried by the ticks that follow", async () => {
    const kafka = fakeClient();
    kafka.topics.set("raw.a", 3);
    kafka.failConsumers(2);
    const consumer = await watchingConsumer(kafka.client, { groupId: "g", pattern: /^raw\./, refreshMs: REFRESH_MS });
    await expect(consumer.run(async () => undefined)).rejects.toThrow("broker unreachable");
    await tick();
    expect(kafka.running()).toEqual([]);
    await tick();
    expect(kafka.running()).toEqual([["raw.a"]]);
    await consumer.close();
  });
});
