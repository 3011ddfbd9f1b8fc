/**
 * Where each newly assigned partition starts: at its group's committed offset, or, where the group
 * has none, at the log's start or end (kafkajs's fromBeginning). Pure: the consumer does the two
 * lookups and this decides.
 */
import { partitionKey, type TopicAssignment } from "./fetch-plan.ts";

/** Offsets by topic, indexed by partition, as the library lists them. */
export type OffsetsByTopic = ReadonlyMap<string, readonly bigint[]>;

export interface CommittedStarts {
  /** Start offsets of the partitions with a committed offset, by partition key. */
  start: Map<string, bigint>;
  /** Partitions without one (the group never committed there), by topic. */
  missing: Map<string, number[]>;
}

/**
 * Splits an assignment into partitions that resume from a committed offset and those that have
 * none (-1, or not listed).
 *
 * @example
 * const { start, missing } = committedStarts(assignments, await consumer.listCommittedOffsets({ topics: assignments }));
 */
export function committedStarts(assignments: readonly TopicAssignment[], committed: OffsetsByTopic): CommittedStarts {
  const start = new Map<string, bigint>();
  const missing = new Map<string, number[]>();
  for (const { topic, partitions } of assignments) {
    for (const partition of partitions) {
      const offset = committed.get(topic)?.[partition];
      if (offset !== undefined && offset >= 0n) start.set(partitionKey(topic, partition), offset);
      else missing.set(topic, [...(missing.get(topic) ?? []), partition]);
    }
  }
  return { start, missing };
}

/**
 * The start offsets of the partitions in `partitions` (by topic) that `offsets` lists, by
 * partition key: for partitions without a committed offset, the log ends the library listed.
 *
 * @example
 * for (const [key, offset] of listedStarts(missing, ends)) start.set(key, offset);
 */
export function listedStarts(partitions: ReadonlyMap<string, readonly number[]>, offsets: OffsetsByTopic): Map<string, bigint> {
  const start = new Map<string, bigint>();
  for (const [topic, list] of partitions) {
    for (const partition of list) {
      const offset = offsets.get(topic)?.[partition];
      if (offset !== undefined) start.set(partitionKey(topic, partition), offset);
    }
  }
  return start;
}
