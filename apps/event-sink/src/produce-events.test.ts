import fc from "fast-check";
import type { ProducedMessage, Producer, TopicMessages } from "@schematizer/kafka";
import { describe, expect, it } from "vitest";
import { recordBytes } from "@schematizer/kafka";
import { chunkMessages, isRecordTooLarge, produceEvents } from "./produce-events.ts";
import { SinkError } from "./sink-errors.ts";

const message = fc.record({
  key: fc.option(fc.string({ maxLength: 40 }), { nil: undefined }),
  value: fc.oneof(fc.string({ maxLength: 3000 }), fc.uint8Array({ maxLength: 3000 }).map((b) => Buffer.from(b))),
  headers: fc.dictionary(fc.string({ maxLength: 10 }), fc.string({ maxLength: 40 }), { maxKeys: 3 }),
});

describe("recordBytes", () => {
  it("is at least the UTF-8 bytes of key, value and headers", () => {
    expect(recordBytes({ key: "é", value: "{}", headers: { "sz-id": "x" } })).toBeGreaterThanOrEqual(2 + 2 + 5 + 1);
  });
});

describe("chunkMessages", () => {
  it("keeps every message once, in order, each run within the limit unless one message alone exceeds it", () => {
    fc.assert(
      fc.property(fc.array(message, { maxLength: 60 }), fc.integer({ min: 200, max: 20_000 }), (messages, limit) => {
        const chunks = chunkMessages(messages, limit);
        expect(chunks.flat()).toEqual(messages);
        for (const chunk of chunks) {
          expect(chunk.length).toBeGreaterThan(0);
          const bytes = chunk.reduce((sum, m) => sum + recordBytes(m), 0);
          if (chunk.length > 1) expect(bytes).toBeLessThanOrEqual(limit);
        }
      }),
    );
  });
});

describe("isRecordTooLarge", () => {
  it("recognises kafkajs's and @platformatic/kafka's refusals, nested or not, and nothing else", () => {
    const kafkajs = Object.assign(new Error("too large"), { type: "MESSAGE_TOO_LARGE", code: 10 });
    const platformatic = new AggregateError([new AggregateError([Object.assign(new Error("too large"), { apiId: "MESSAGE_TOO_LARGE" })], "response")], "produce");
    expect(isRecordTooLarge(kafkajs)).toBe(true);
    expect(isRecordTooLarge(platformatic)).toBe(true);
    expect(isRecordTooLarge(new Error("wrapped", { cause: kafkajs }))).toBe(true);
    expect(isRecordTooLarge(Object.assign(new Error("gone"), { code: "ECONNREFUSED" }))).toBe(false);
    expect(isRecordTooLarge(Object.assign(new Error("x"), { type: "NOT_LEADER_FOR_PARTITION" }))).toBe(false);
  });
});

describe("produceEvents", () => {
  const messages = (n: number): ProducedMessage[] => Array.from({ length: n }, (_, i) => ({ key: `k${i}`, value: "x".repeat(100) }));

  it("sends no further batch once the request has been answered 503 for a timeout", async () => {
    const sends: TopicMessages[][] = [];
    const producer: Producer = {
      send: (batches) => {
        sends.push(batches);
        return sends.length === 1 ? new Promise((resolve) => setTimeout(resolve, 50)) : Promise.resolve();
      },
      close: async () => {},
    };
    const refusal = await produceEvents(producer, "raw.acme", messages(40), { timeoutMs: 10, maxBatchBytes: 1_000 }).catch((e: unknown) => e);
    expect(refusal).toBeInstanceOf(SinkError);
    expect((refusal as SinkError).code).toBe("SINK_KAFKA_UNAVAILABLE");
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(sends).toHaveLength(1);
  });

  it("sends in one go what the caller bounds within the limit, without measuring it", async () => {
    const sends: TopicMessages[][] = [];
    const producer: Producer = { send: async (b) => void sends.push(b), close: async () => {} };
    await produceEvents(producer, "raw.acme", messages(40), { timeoutMs: 1_000, maxBatchBytes: 100_000, boundBytes: 50_000 });
    await produceEvents(producer, "raw.acme", messages(40), { timeoutMs: 1_000, maxBatchBytes: 1_000 });
    expect(sends.map((s) => s[0]!.messages.length)).toEqual([40, 6, 6, 6, 6, 6, 6, 4]);
  });
});
