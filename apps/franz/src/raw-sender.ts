/**
 * Sends events back to raw.<app> in batches Kafka takes: `dlq redrive` and `replay` both send
 * through it. A batch holds at most `maxMessages` messages and stays within what the topic's
 * `max.message.bytes` allows (topicMessageBytes(EVENT_MAX_BYTES).raw, less a batch's framing), so
 * a send is never refused for its size while each event fits the topic.
 */
import { topicMessageBytes } from "@schematizer/config";
import { RECORD_BATCH_HEADER_BYTES, recordBytes, type ProducedMessage, type Producer } from "@schematizer/kafka";

/** Most messages in one send. */
export const SEND_MESSAGES = 500;

export interface RawSender {
  /** Queues a message; sends the queued batch first when the message would not fit in it. */
  add(message: ProducedMessage): Promise<void>;
  /** Sends what is queued. */
  flush(): Promise<void>;
  /** Messages Kafka acknowledged. */
  readonly sent: number;
}

export interface RawSenderOptions {
  /** EVENT_MAX_BYTES: sizes each batch to what raw.<app> takes. */
  eventMaxBytes: number;
  /** Most messages in one send (default SEND_MESSAGES). */
  maxMessages?: number;
  /** Awaited before each send of `count` messages (a throttle). */
  beforeSend?: (count: number) => Promise<void>;
}

/**
 * A batching sender to `topic`. Resolves each send once Kafka acknowledged it; a failure is thrown
 * from the `add` or `flush` that sent, and what was sent before stays sent.
 *
 * @example
 * const sender = createRawSender(producer, "raw.acme", { eventMaxBytes: 1_048_576 });
 * for (const message of messages) await sender.add(message);
 * await sender.flush();
 * sender.sent; // messages.length
 */
export function createRawSender(producer: Pick<Producer, "send">, topic: string, options: RawSenderOptions): RawSender {
  const maxBytes = topicMessageBytes(options.eventMaxBytes).raw - RECORD_BATCH_HEADER_BYTES;
  const maxMessages = Math.max(1, options.maxMessages ?? SEND_MESSAGES);
  let pending: ProducedMessage[] = [];
  let pendingBytes = 0;
  let sent = 0;

  const flush = async () => {
    if (pending.length === 0) return;
    const batch = pending;
    pending = [];
    pendingBytes = 0;
    await options.beforeSend?.(batch.length);
    await producer.send([{ topic, messages: batch }]);
    sent += batch.length;
  };

  return {
    async add(message) {
      const size = recordBytes(message);
      if (pending.length >= maxMessages || (pending.length > 0 && pendingBytes + size > maxBytes)) await flush();
      pending.push(message);
      pendingBytes += size;
    },
    flush,
    get sent() {
      return sent;
    },
  };
}
