import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { partitionKey, planFetches, type FetchPlanInput, type TopicLeaders } from "./fetch-plan.ts";

/** A cluster of up to 4 topics with up to 6 partitions, some leaderless, an assignment, positions and busy leaders. */
const planInput = fc
  .array(fc.array(fc.integer({ min: -1, max: 3 }), { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 4 })
  .chain((leadersByTopic) => {
    const topics = leadersByTopic.map((leaders, i) => ({ name: `t${i}`, leaders }));
    const partitions = topics.flatMap((t) => t.leaders.map((_, p) => ({ topic: t.name, partition: p })));
    return fc.record({
      topics: fc.constant(topics),
      // Topics in the assignment but not (yet) in the metadata are left out of the plan.
      unknownTopic: fc.boolean(),
      assigned: fc.subarray(partitions),
      positioned: fc.subarray(partitions),
      offsets: fc.array(fc.bigInt({ min: 0n, max: 1n << 60n }), { minLength: partitions.length, maxLength: partitions.length }),
      busy: fc.subarray([0, 1, 2, 3]),
    });
  })
  .map(({ topics, unknownTopic, assigned, positioned, offsets, busy }): FetchPlanInput => {
    const metadata = new Map<string, TopicLeaders>(topics.map((t) => [t.name, { id: `id-${t.name}`, partitions: t.leaders.map((leader) => ({ leader })) }]));
    const byTopic = new Map<string, number[]>();
    for (const { topic, partition } of assigned) byTopic.set(topic, [...(byTopic.get(topic) ?? []), partition]);
    const assignments = [...byTopic].map(([topic, partitions]) => ({ topic, partitions }));
    if (unknownTopic) assignments.push({ topic: "not-in-metadata", partitions: [0] });
    const positions = new Map(positioned.map(({ topic, partition }, i) => [partitionKey(topic, partition), offsets[i]!]));
    if (unknownTopic) positions.set(partitionKey("not-in-metadata", 0), 0n);
    return { assignments, positions, metadata, busyLeaders: new Set(busy), maxBytesPerPartition: 1_000 };
  });

/** The assigned partitions that have a position, with their leader (undefined for an unknown topic). */
function candidates(input: FetchPlanInput) {
  return input.assignments.flatMap(({ topic, partitions }) =>
    partitions
      .filter((partition) => input.positions.has(partitionKey(topic, partition)))
      .map((partition) => ({ topic, partition, key: partitionKey(topic, partition), leader: input.metadata.get(topic)?.partitions[partition]?.leader })),
  );
}

describe("planFetches", () => {
  it("asks each assigned, positioned partition with a free leader exactly once, from its position, of its leader", () => {
    fc.assert(
      fc.property(planInput, (input) => {
        const plan = planFetches(input);
        const expected = candidates(input).filter((c) => c.leader !== undefined && c.leader >= 0 && !input.busyLeaders.has(c.leader));
        const asked = plan.requests.flatMap((r) => [...r.asked.keys()]);
        expect(asked.sort()).toEqual(expected.map((c) => c.key).sort());
        for (const request of plan.requests) {
          for (const topic of request.topics) {
            const name = plan.topicNames.get(topic.topicId)!;
            for (const p of topic.partitions) {
              expect(input.metadata.get(name)!.partitions[p.partition]!.leader).toBe(request.leader);
              expect(p.fetchOffset).toBe(input.positions.get(partitionKey(name, p.partition)));
              expect(request.asked.get(partitionKey(name, p.partition))).toBe(p.fetchOffset);
              expect(p.partitionMaxBytes).toBe(input.maxBytesPerPartition);
            }
          }
        }
      }),
      { numRuns: 500 },
    );
  });

  it("sends one request per leader, none to a busy one, with each topic once", () => {
    fc.assert(
      fc.property(planInput, (input) => {
        const plan = planFetches(input);
        const leaders = plan.requests.map((r) => r.leader);
        expect(new Set(leaders).size).toBe(leaders.length);
        for (const request of plan.requests) {
          expect(input.busyLeaders.has(request.leader)).toBe(false);
          expect(request.topics.length).toBeGreaterThan(0);
          const ids = request.topics.map((t) => t.topicId);
          expect(new Set(ids).size).toBe(ids.length);
        }
      }),
      { numRuns: 500 },
    );
  });

  it("says the metadata needs renewing exactly when a partition to fetch has no leader", () => {
    fc.assert(
      fc.property(planInput, (input) => {
        const leaderless = candidates(input).some((c) => input.metadata.has(c.topic) && !(c.leader !== undefined && c.leader >= 0));
        expect(planFetches(input).leaderless).toBe(leaderless);
      }),
      { numRuns: 500 },
    );
  });

  it("names every assigned topic the metadata knows, by id", () => {
    const metadata = new Map<string, TopicLeaders>([
      ["raw.a", { id: "A", partitions: [{ leader: 1 }, { leader: 2 }] }],
      ["raw.b", { id: "B", partitions: [{ leader: 1 }] }],
    ]);
    const plan = planFetches({
      assignments: [
        { topic: "raw.a", partitions: [0, 1] },
        { topic: "raw.b", partitions: [0] },
        { topic: "raw.gone", partitions: [0] },
      ],
      positions: new Map([["raw.a:0", 5n], ["raw.a:1", 7n], ["raw.gone:0", 0n]]),
      metadata,
      busyLeaders: new Set([2]),
      maxBytesPerPartition: 1_048_576,
    });
    expect(plan.topicNames).toEqual(new Map([["A", "raw.a"], ["B", "raw.b"]]));
    // raw.b:0 has no position; raw.a:1's leader is busy.
    expect(plan.requests).toEqual([
      {
        leader: 1,
        topics: [{ topicId: "A", partitions: [{ partition: 0, fetchOffset: 5n, partitionMaxBytes: 1_048_576, currentLeaderEpoch: -1, lastFetchedEpoch: -1 }] }],
        asked: new Map([["raw.a:0", 5n]]),
      },
    ]);
    expect(plan.leaderless).toBe(false);
  });

  it("merges a topic listed twice in an assignment into one request entry", () => {
    const plan = planFetches({
      assignments: [
        { topic: "t", partitions: [0] },
        { topic: "u", partitions: [0] },
        { topic: "t", partitions: [1] },
      ],
      positions: new Map([["t:0", 1n], ["t:1", 2n], ["u:0", 3n]]),
      metadata: new Map<string, TopicLeaders>([
        ["t", { id: "T", partitions: [{ leader: 0 }, { leader: 0 }] }],
        ["u", { id: "U", partitions: [{ leader: 0 }] }],
      ]),
      busyLeaders: new Set(),
      maxBytesPerPartition: 1,
    });
    expect(plan.requests[0]!.topics.map((t) => [t.topicId, t.partitions.map((p) => p.partition)])).toEqual([["T", [0, 1]], ["U", [0]]]);
  });
});
