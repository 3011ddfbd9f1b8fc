import { topicMessageBytes } from "@schematizer/config";
import type { ProducedMessage, TopicMessages } from "@schematizer/kafka";
import { describe, expect, it } from "vitest";
import { recordBytes } from "@schematizer/kafka";
import { createRawSender, SEND_MESSAGES } from "./raw-sender.ts";

/** A producer that keeps what it was sent. */
function recording() {
  const sends: TopicMessages[][] = [];
  return { sends, producer: { send: (batches: TopicMessages[]) => Promise.resolve(void sends.push(batches)) } };
}

const message = (value: string): ProducedMessage => ({ key: "u1", value, headers: { "sz-id": value.slice(0, 8) } });

describe("createRawSender", () => {
  it("sends to its topic in batches of at most the message limit, and counts what Kafka acknowledged", async () => {
    const { sends, producer } = recording();
    const sender = createRawSender(producer, "raw.acme", { eventMaxBytes: 1_048_576, maxMessages: 2 });
    for (const v of ["a", "b", "c", "d", "e"]) await sender.add(message(v));
    expect([sends.length, sender.sent]).toEqual([2, 4]);
    await sender.flush();
    await sender.flush();
    expect(sends.map((s) => [s[0]!.topic, s[0]!.messages.map((m) => m.value)])).toEqual([
      ["raw.acme", ["a", "b"]],
      ["raw.acme", ["c", "d"]],
      ["raw.acme", ["e"]],
    ]);
    expect(sender.sent).toBe(5);
  });

  it("keeps every batch within what raw.<app> takes, and sends an event as large as the limit alone", async () => {
    const eventMaxBytes = 1024 * 1024;
    const { sends, producer } = recording();
    const sender = createRawSender(producer, "raw.acme", { eventMaxBytes });
    const big = "x".repeat(eventMaxBytes);
    const third = "y".repeat(eventMaxBytes / 3);
    for (const v of [third, third, third, big, third]) await sender.add(message(v));
    await sender.flush();
    const batches = sends.map((s) => s[0]!.messages);
    expect(batches.map((b) => b.length)).toEqual([3, 1, 1]);
    for (const b of batches) expect(b.reduce((n, m) => n + recordBytes(m), 0)).toBeLessThanOrEqual(topicMessageBytes(eventMaxBytes).raw);
  });

  it("sends at most SEND_MESSAGES at once by default, and waits for its throttle before each send", async () => {
    const { sends, producer } = recording();
    const asked: number[] = [];
    const sender = createRawSender(producer, "raw.acme", {
      eventMaxBytes: 1_048_576,
      beforeSend: (n) => {
        asked.push(n);
        expect(sends.length).toBe(asked.length - 1);
        return Promise.resolve();
      },
    });
    for (let i = 0; i < SEND_MESSAGES + 1; i++) await sender.add(message(String(i)));
    await sender.flush();
    expect(asked).toEqual([SEND_MESSAGES, 1]);
  });

  it("throws the producer's failure from the call that sent, having counted only what was acknowledged", async () => {
    let calls = 0;
    const producer = { send: () => (++calls === 2 ? Promise.reject(new Error("broker gone")) : Promise.resolve()) };
    const sender = createRawSender(producer, "raw.acme", { eventMaxBytes: 1_048_576, maxMessages: 1 });
    await sender.add(message("a"));
    await sender.add(message("b"));
    await expect(sender.add(message("c"))).rejects.toThrow("broker gone");
    expect(sender.sent).toBe(1);
  });
});
