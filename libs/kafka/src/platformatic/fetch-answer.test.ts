import { IS_CONTROL, type KafkaRecord, type RecordsBatch } from "@platformatic/kafka";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { answerBatches, outOfRangePartitions, type FetchAnswer } from "./fetch-answer.ts";
import { partitionKey } from "./fetch-plan.ts";

const LOG_APPEND_TIME = 1 << 3;

interface RecordSpec {
  /** Gap before this record's offset (compaction removes records, not offsets). */
  gap: number;
  key: string;
  headers?: [Buffer | null, Buffer | null][];
}

/** A record batch in the shape the library parses, starting at `firstOffset`. */
function recordBatch(firstOffset: bigint, specs: RecordSpec[], options: { control?: boolean; logAppendTime?: number; firstTimestamp?: number } = {}): RecordsBatch {
  let delta = -1;
  const records: KafkaRecord[] = specs.map((spec, i) => {
    delta += 1 + spec.gap;
    return {
      length: 0,
      attributes: 0,
      timestampDelta: BigInt(i),
      offsetDelta: delta,
      key: Buffer.from(spec.key),
      value: Buffer.from(`v${spec.key}`),
      headers: spec.headers ?? [],
    };
  });
  let attributes = 0;
  if (options.control) attributes |= IS_CONTROL;
  if (options.logAppendTime !== undefined) attributes |= LOG_APPEND_TIME;
  return {
    firstOffset,
    length: 0,
    partitionLeaderEpoch: 0,
    magic: 2,
    crc: 0,
    attributes,
    lastOffsetDelta: delta,
    firstTimestamp: BigInt(options.firstTimestamp ?? 1_000),
    maxTimestamp: BigInt(options.logAppendTime ?? 0),
    producerId: -1n,
    producerEpoch: -1,
    firstSequence: -1,
    records,
  };
}

/** One partition's log as the broker answers it: consecutive record batches, some of them control batches. */
const partitionLog = fc
  .record({
    base: fc.oneof(fc.bigInt({ min: 0n, max: 1_000n }), fc.bigInt({ min: (1n << 53n) - 100n, max: (1n << 53n) + 100n })),
    batches: fc.array(fc.record({ control: fc.boolean(), records: fc.array(fc.nat({ max: 2 }), { minLength: 1, maxLength: 5 }) }), { minLength: 1, maxLength: 5 }),
    askedShift: fc.integer({ min: -3, max: 30 }),
  })
  .map(({ base, batches, askedShift }) => {
    let next = base;
    let n = 0;
    const records = batches.map(({ control, records: gaps }) => {
      const batch = recordBatch(next, gaps.map((gap) => ({ gap, key: String(n++) })), { control });
      next = batch.firstOffset + BigInt(batch.lastOffsetDelta) + 1n;
      return batch;
    });
    // The broker answers from the record batch that holds the asked offset; any offset is tried.
    const asked = base + BigInt(askedShift) < 0n ? 0n : base + BigInt(askedShift);
    return { records, asked, end: next };
  });

/** An answer over up to 3 topics of up to 3 partitions, with the offsets asked. */
const answer = fc.array(fc.array(partitionLog, { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 3 }).map((topics) => {
  const fetchAnswer: FetchAnswer = {
    responses: topics.map((partitions, t) => ({
      topicId: `id${t}`,
      partitions: partitions.map((p, partitionIndex) => ({ partitionIndex, errorCode: 0, highWatermark: p.end, records: p.records })),
    })),
  };
  const asked = new Map(topics.flatMap((partitions, t) => partitions.map((p, i) => [partitionKey(`t${t}`, i), p.asked] as const)));
  const topicNames = new Map(topics.map((_, t) => [`id${t}`, `t${t}`]));
  return { fetchAnswer, asked, topicNames, logs: topics };
});

/** The data records of a log at or past `from`, with their offsets: what a batch must hold, in order. */
function expectedRecords(records: RecordsBatch[], from: bigint) {
  return records.flatMap((batch) =>
    batch.attributes & IS_CONTROL ? [] : batch.records.map((r) => ({ offset: batch.firstOffset + BigInt(r.offsetDelta), key: r.key!.toString() })).filter((r) => r.offset >= from),
  );
}

describe("answerBatches", () => {
  it("hands out exactly the data records at or past the asked offset, in order, control batches skipped", () => {
    fc.assert(
      fc.property(answer, ({ fetchAnswer, asked, topicNames, logs }) => {
        const { batches } = answerBatches(fetchAnswer, asked, topicNames);
        logs.forEach((partitions, t) =>
          partitions.forEach((log, partition) => {
            const batch = batches.find((b) => b.topic === `t${t}` && b.partition === partition);
            const got = (batch?.messages ?? []).map((m) => ({ offset: BigInt(m.offset), key: m.key!.toString() }));
            expect(got).toEqual(expectedRecords(log.records, log.asked));
          }),
        );
        for (const batch of batches) {
          expect(batch.messages.length).toBeGreaterThan(0);
          for (const m of batch.messages) expect(BigInt(m.offset)).toBeGreaterThanOrEqual(asked.get(partitionKey(m.topic, m.partition))!);
        }
      }),
      { numRuns: 400 },
    );
  });

  it("moves each partition's position past its last record batch, and never back", () => {
    fc.assert(
      fc.property(answer, ({ fetchAnswer, asked, topicNames, logs }) => {
        const { positions } = answerBatches(fetchAnswer, asked, topicNames);
        expect(positions.size).toBe(asked.size);
        logs.forEach((partitions, t) =>
          partitions.forEach((log, partition) => {
            const position = positions.get(partitionKey(`t${t}`, partition))!;
            expect(position).toBeGreaterThanOrEqual(log.asked);
            expect(position).toBe(log.end > log.asked ? log.end : log.asked);
          }),
        );
      }),
      { numRuns: 400 },
    );
  });

  it("ignores partitions not asked, topics not known, and empty answers", () => {
    const records = [recordBatch(0n, [{ gap: 0, key: "a" }])];
    const fetchAnswer: FetchAnswer = {
      responses: [
        { topicId: "known", partitions: [{ partitionIndex: 0, errorCode: 0, highWatermark: 1n, records }, { partitionIndex: 1, errorCode: 0, highWatermark: 0n }] },
        { topicId: "unknown", partitions: [{ partitionIndex: 0, errorCode: 0, highWatermark: 1n, records }] },
      ],
    };
    const topicNames = new Map([["known", "t"]]);
    expect(answerBatches(fetchAnswer, new Map([["t:1", 0n]]), topicNames)).toEqual({ batches: [], positions: new Map() });
    const { batches, positions } = answerBatches(fetchAnswer, new Map([["t:0", 0n], ["t:1", 0n]]), topicNames);
    expect(batches.map((b) => [b.topic, b.partition, b.highWatermark, b.messages.length])).toEqual([["t", 0, "1", 1]]);
    expect(positions).toEqual(new Map([["t:0", 1n]]));
  });

  it("moves past a control batch that ends the answer without handing out a batch", () => {
    const records = [recordBatch(4n, [{ gap: 0, key: "commit marker" }], { control: true })];
    const fetchAnswer: FetchAnswer = { responses: [{ topicId: "T", partitions: [{ partitionIndex: 0, errorCode: 0, highWatermark: 5n, records }] }] };
    expect(answerBatches(fetchAnswer, new Map([["t:0", 4n]]), new Map([["T", "t"]]))).toEqual({ batches: [], positions: new Map([["t:0", 5n]]) });
  });

  it("keeps offsets beyond 2^53 exact, as decimal strings", () => {
    const first = (1n << 53n) + 10n;
    const records = [recordBatch(first, [{ gap: 0, key: "a" }, { gap: 3, key: "b" }])];
    const fetchAnswer: FetchAnswer = { responses: [{ topicId: "T", partitions: [{ partitionIndex: 2, errorCode: 0, highWatermark: first + 5n, records }] }] };
    const { batches, positions } = answerBatches(fetchAnswer, new Map([["t:2", first]]), new Map([["T", "t"]]));
    expect(batches[0]!.messages.map((m) => m.offset)).toEqual([String(first), String(first + 4n)]);
    expect(positions.get("t:2")).toBe(first + 5n);
  });

  it("takes timestamps from the records, or the broker's when the topic uses LogAppendTime; first header value wins", () => {
    const headers: [Buffer | null, Buffer | null][] = [
      [Buffer.from("sz-id"), Buffer.from("1")],
      [Buffer.from("sz-id"), Buffer.from("2")],
      [null, Buffer.from("nameless")],
      [Buffer.from("empty"), null],
    ];
    const create = recordBatch(0n, [{ gap: 0, key: "a", headers }, { gap: 0, key: "b" }], { firstTimestamp: 5_000 });
    const append = recordBatch(2n, [{ gap: 0, key: "c" }], { logAppendTime: 9_000 });
    const fetchAnswer: FetchAnswer = { responses: [{ topicId: "T", partitions: [{ partitionIndex: 0, errorCode: 0, highWatermark: 3n, records: [create, append] }] }] };
    const [batch] = answerBatches(fetchAnswer, new Map([["t:0", 0n]]), new Map([["T", "t"]])).batches;
    expect(batch!.messages.map((m) => m.timestamp)).toEqual([5_000, 5_001, 9_000]);
    expect(batch!.messages[0]!.headers).toEqual({ "sz-id": Buffer.from("1"), empty: undefined });
    expect(batch!.messages[1]!.headers).toEqual({});
  });
});

describe("outOfRangePartitions", () => {
  it("finds the partitions a failed fetch's answer reports out of range, however deep the library nests it", () => {
    const response: FetchAnswer = {
      responses: [
        {
          topicId: "A",
          partitions: [
            { partitionIndex: 0, errorCode: 1, highWatermark: 0n },
            { partitionIndex: 1, errorCode: 0, highWatermark: 0n },
            { partitionIndex: 2, errorCode: 1, highWatermark: 0n },
          ],
        },
        { topicId: "unknown", partitions: [{ partitionIndex: 0, errorCode: 1, highWatermark: 0n }] },
      ],
    };
    const topicNames = new Map([["A", "raw.a"]]);
    const expected = new Map([["raw.a", [0, 2]]]);
    expect(outOfRangePartitions({ response }, topicNames)).toEqual(expected);
    expect(outOfRangePartitions({ errors: [new Error("other"), { errors: [{ response }] }] }, topicNames)).toEqual(expected);
    expect(outOfRangePartitions(new Error("connection refused"), topicNames)).toEqual(new Map());
    expect(outOfRangePartitions(undefined, topicNames)).toEqual(new Map());
  });
});
