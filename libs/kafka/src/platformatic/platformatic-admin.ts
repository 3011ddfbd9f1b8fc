/**
 * The project's Admin on the library's: topics, partitions, configs, offsets and groups, each
 * call resolving only once what it changed can be used (new partitions have leaders).
 */
import {
  Admin as LibAdmin,
  ConfigResourceTypes,
  FetchIsolationLevels,
  IncrementalAlterConfigOperationTypes,
  ListOffsetTimestamps,
} from "@platformatic/kafka";
import { waitFor } from "@schematizer/errors";
import type { Admin, PartitionOffsets, TopicSpec } from "../kafka-client.ts";

const TOPIC_ALREADY_EXISTS = 36;

/**
 * Wraps a connected library admin.
 *
 * @example
 * const admin = platformaticAdmin(new LibAdmin(base));
 * await admin.createTopics([{ name: "raw.acme", partitions: 6 }]);
 */
export function platformaticAdmin(admin: LibAdmin): Admin {
  // The library deduplicates concurrent createPartitions calls whatever their topics: one at a time.
  let partitionsQueue: Promise<unknown> = Promise.resolve();

  const partitionCount = async (topic: string) => {
    const metadata = await admin.metadata({ topics: [topic], forceUpdate: true });
    return metadata.topics.get(topic)?.partitionsCount ?? 0;
  };

  /** Resolves once each topic has at least `minPartitions` partitions (default 1), each with a leader. */
  const waitForLeaders = (topics: string[], minPartitions = 1) =>
    waitFor(
      `leaders for ${topics.join(", ")}`,
      async () => {
        const metadata = await admin.metadata({ topics, forceUpdate: true });
        const ready = topics.every((t) => {
          const topic = metadata.topics.get(t);
          return topic !== undefined && topic.partitionsCount >= minPartitions && topic.partitions.every((p) => p !== undefined && p.leader >= 0);
        });
        return ready ? true : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 50 },
    );

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

function hasApiCode(error: unknown, code: number): boolean {
  const found = (error as { findBy?: (property: string, value: unknown) => unknown }).findBy?.("apiCode", code);
  return found !== null && found !== undefined;
}
