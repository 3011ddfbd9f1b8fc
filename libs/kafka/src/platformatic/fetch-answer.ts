/**
 * What a fetch answer means to a group member: its batches, one per partition, the positions it
 * moves, and the partitions whose offset fell out of the log. Pure, so the laws that keep delivery
 * exact (nothing below the asked offset, positions only forward, control records skipped) are
 * tested without a broker.
 */
import { IS_CONTROL, type RecordsBatch } from "@platformatic/kafka";
import type { ConsumedMessage, MessageBatch } from "../kafka-client.ts";
import { partitionKey } from "./fetch-plan.ts";

/** The library's fetch answer, as far as used here. */
export interface FetchAnswer {
  responses: {
    topicId: string;
    partitions: { partitionIndex: number; errorCode: number; highWatermark: bigint; records?: RecordsBatch[] }[];
  }[];
}

export interface AnswerBatches {
  /** One batch per partition that had messages at or past its asked offset, in answer order. */
  batches: MessageBatch[];
  /** The next offset to fetch of each partition the answer had records for, by partition key. */
  positions: Map<string, bigint>;
}

const OFFSET_OUT_OF_RANGE = 1;
/** Record batch attribute: the timestamps are the broker's (LogAppendTime). */
const LOG_APPEND_TIME = 1 << 3;
/** Below this, offsets are exact as Numbers (2^53 less a margin for the deltas). */
const SAFE_OFFSET = 9_007_199_254_740_000n;

/**
 * The batches of one fetch answer, one per partition, from each partition's asked offset on (an
 * answer can start earlier, at its record batch's first offset), and the positions they move to:
 * past the last record batch, control batches included, never back.
 *
 * @example
 * const { batches, positions } = answerBatches(answer, request.asked, topicNames);
 * for (const [key, offset] of positions) state.positions.set(key, offset);
 */
export function answerBatches(answer: FetchAnswer, asked: ReadonlyMap<string, bigint>, topicNames: ReadonlyMap<string, string>): AnswerBatches {
  const batches: MessageBatch[] = [];
  const positions = new Map<string, bigint>();
  for (const t of answer.responses) {
    const topic = topicNames.get(t.topicId);
    if (topic === undefined) continue;
    for (const p of t.partitions) {
      const records = p.records;
      if (!records || records.length === 0) continue;
      const key = partitionKey(topic, p.partitionIndex);
      const from = asked.get(key);
      if (from === undefined) continue;
      const messages: ConsumedMessage[] = [];
      for (const batch of records) {
        if (batch.attributes & IS_CONTROL) continue;
        appendMessages(messages, batch, topic, p.partitionIndex, from);
      }
      const last = records.at(-1)!;
      const next = last.firstOffset + BigInt(last.lastOffsetDelta) + 1n;
      positions.set(key, next > from ? next : from);
      if (messages.length > 0) batches.push({ topic, partition: p.partitionIndex, messages, highWatermark: p.highWatermark.toString() });
    }
  }
  return { batches, positions };
}

/** Appends the records of one record batch at or past `from` as messages. */
function appendMessages(messages: ConsumedMessage[], batch: RecordsBatch, topic: string, partition: number, from: bigint): void {
  const logAppendTime = (batch.attributes & LOG_APPEND_TIME) !== 0 ? Number(batch.maxTimestamp) : undefined;
  const firstTimestamp = Number(batch.firstTimestamp);
  // Number arithmetic while exact: a BigInt per record costs more than the rest of the loop.
  const safe = batch.firstOffset <= SAFE_OFFSET;
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
      partition,
      offset: String(offset),
      key: record.key,
      value: record.value,
      headers,
      timestamp: logAppendTime ?? firstTimestamp + Number(record.timestampDelta),
    });
  }
}

/**
 * The partitions, by topic, that a failed fetch's answer reports out of range (their offset fell
 * out of the log through retention). Empty when the error carries no answer.
 *
 * @example
 * const lost = outOfRangePartitions(result.error, topicNames); // Map { "raw.acme" => [2] }
 */
export function outOfRangePartitions(error: unknown, topicNames: ReadonlyMap<string, string>): Map<string, number[]> {
  const lost = new Map<string, number[]>();
  for (const t of answerOf(error)?.responses ?? []) {
    const topic = topicNames.get(t.topicId);
    if (topic === undefined) continue;
    for (const p of t.partitions) if (p.errorCode === OFFSET_OUT_OF_RANGE) lost.set(topic, [...(lost.get(topic) ?? []), p.partitionIndex]);
  }
  return lost;
}

/** The fetch answer a library error carries, if any (its partitions' error codes say which failed). */
function answerOf(error: unknown): FetchAnswer | undefined {
  const e = error as { response?: { responses?: unknown }; errors?: unknown[] } | undefined;
  if (e?.response?.responses) return e.response as FetchAnswer;
  for (const inner of e?.errors ?? []) {
    const found = answerOf(inner);
    if (found) return found;
  }
  return undefined;
}
