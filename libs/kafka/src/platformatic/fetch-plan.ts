/**
 * Which partitions a group member asks which leader for: a pure function of its assignment, its
 * positions and the cluster metadata, so the consumer's I/O only sends what this decides.
 */

/** A partition's key in the consumer's maps: "topic:partition". */
export function partitionKey(topic: string, partition: number): string {
  return `${topic}:${partition}`;
}

/** The partitions of one topic assigned to this member. */
export interface TopicAssignment {
  topic: string;
  partitions: number[];
}

/** What the plan needs of a topic's metadata: its id and each partition's leader (-1 while none). */
export interface TopicLeaders {
  id: string;
  partitions: ({ leader: number } | undefined)[];
}

/** One partition of a fetch request, in the library's request shape. */
export interface FetchPartition {
  partition: number;
  fetchOffset: bigint;
  partitionMaxBytes: number;
  currentLeaderEpoch: number;
  lastFetchedEpoch: number;
}

/** One request to one leader. */
export interface LeaderFetch {
  leader: number;
  topics: { topicId: string; partitions: FetchPartition[] }[];
  /** The fetch offset of each partition asked, by partition key. */
  asked: Map<string, bigint>;
}

export interface FetchPlanInput {
  assignments: readonly TopicAssignment[];
  /** Next offset to fetch, by partition key; a partition without one is not asked for. */
  positions: ReadonlyMap<string, bigint>;
  /** The cluster's metadata by topic name. */
  metadata: ReadonlyMap<string, TopicLeaders>;
  /** Leaders that already have a fetch in flight: they are not asked again. */
  busyLeaders: { has(leader: number): boolean };
  maxBytesPerPartition: number;
}

export interface FetchPlan {
  /** At most one request per leader, none to a busy one. */
  requests: LeaderFetch[];
  /** Topic names by topic id, for every assigned topic in the metadata: answers name topics by id. */
  topicNames: Map<string, string>;
  /** Some assigned partition has no known leader (new, or moving): the metadata needs renewing. */
  leaderless: boolean;
}

/**
 * The fetches to send now: each assigned partition with a position, grouped by its leader,
 * skipping leaders already being fetched from and partitions without a leader (asked about again
 * once the metadata is renewed).
 *
 * @example
 * const plan = planFetches({ assignments, positions, metadata: metadata.topics, busyLeaders: inflight, maxBytesPerPartition: 1_048_576 });
 * for (const request of plan.requests) send(request.leader, request.topics);
 */
export function planFetches(input: FetchPlanInput): FetchPlan {
  const { positions, metadata, busyLeaders, maxBytesPerPartition } = input;
  const byLeader = new Map<number, LeaderFetch>();
  // Each request's entry per topic, by topic id: one entry per topic however the assignment lists it.
  const entries = new Map<number, Map<string, LeaderFetch["topics"][number]>>();
  const topicNames = new Map<string, string>();
  let leaderless = false;
  for (const { topic, partitions } of input.assignments) {
    const meta = metadata.get(topic);
    if (!meta) continue;
    topicNames.set(meta.id, topic);
    for (const partition of partitions) {
      const key = partitionKey(topic, partition);
      const fetchOffset = positions.get(key);
      if (fetchOffset === undefined) continue;
      const leader = meta.partitions[partition]?.leader;
      if (leader === undefined || leader < 0) {
        leaderless = true;
        continue;
      }
      if (busyLeaders.has(leader)) continue;
      let request = byLeader.get(leader);
      if (!request) {
        byLeader.set(leader, (request = { leader, topics: [], asked: new Map() }));
        entries.set(leader, new Map());
      }
      const topicEntries = entries.get(leader)!;
      let entry = topicEntries.get(meta.id);
      if (!entry) {
        topicEntries.set(meta.id, (entry = { topicId: meta.id, partitions: [] }));
        request.topics.push(entry);
      }
      entry.partitions.push({ partition, fetchOffset, partitionMaxBytes: maxBytesPerPartition, currentLeaderEpoch: -1, lastFetchedEpoch: -1 });
      request.asked.set(key, fetchOffset);
    }
  }
  return { requests: [...byLeader.values()], topicNames, leaderless };
}
