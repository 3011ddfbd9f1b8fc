import { RECORD_BATCH_HEADER_BYTES, recordBytes, type ProducedMessage, type Producer } from "@schematizer/kafka";
import { SinkError } from "./sink-errors.ts";

/**
 * Cuts `messages`, in order, into runs whose record batches stay within `maxBatchBytes` (the
 * topic's max.message.bytes): Kafka refuses a partition's batch beyond it, and every message of
 * one send may land on the same partition. A message too large alone forms its own run.
 *
 * @example
 * chunkMessages(messages, 1_114_112); // [[m0, m1, …], [m812, …]]
 */
export function chunkMessages(messages: ProducedMessage[], maxBatchBytes: number): ProducedMessage[][] {
  const room = maxBatchBytes - RECORD_BATCH_HEADER_BYTES;
  const chunks: ProducedMessage[][] = [];
  let chunk: ProducedMessage[] = [];
  let bytes = 0;
  for (const message of messages) {
    const size = recordBytes(message);
    if (chunk.length > 0 && bytes + size > room) {
      chunks.push(chunk);
      chunk = [];
      bytes = 0;
    }
    chunk.push(message);
    bytes += size;
  }
  if (chunk.length > 0) chunks.push(chunk);
  return chunks;
}

export interface ProduceOptions {
  /** How long Kafka may take to acknowledge every message. */
  timeoutMs: number;
  /** The topic's max.message.bytes: no batch sent is larger. */
  maxBatchBytes: number;
  /**
   * An upper bound of the messages' record bytes, when the caller knows one cheaply: within
   * `maxBatchBytes`, they go in one send without being measured one by one.
   */
  boundBytes?: number;
}

/**
 * Sends `messages` to `topic` and resolves once Kafka acknowledged all of them, in as few sends as
 * the topic's batch limit allows, one after the other so that one entity's events stay in order.
 * Throws a SinkError: SINK_RECORD_TOO_LARGE when Kafka refused a batch for its size (a 413: the
 * same request would be refused again), SINK_KAFKA_UNAVAILABLE otherwise (a 503). Either way part
 * of the messages may have been stored.
 *
 * @example
 * await produceEvents(producer, "raw.acme", messages, { timeoutMs: 10_000, maxBatchBytes: 1_114_112 });
 */
export async function produceEvents(producer: Producer, topic: string, messages: ProducedMessage[], options: ProduceOptions): Promise<void> {
  const oneSend = options.boundBytes !== undefined && options.boundBytes + RECORD_BATCH_HEADER_BYTES <= options.maxBatchBytes;
  const chunks = oneSend ? [messages] : chunkMessages(messages, options.maxBatchBytes);
  let timer: NodeJS.Timeout | undefined;
  let timedOut = false;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      timedOut = true;
      reject(new SinkError("SINK_KAFKA_UNAVAILABLE", "Kafka did not acknowledge in time"));
    }, options.timeoutMs);
  });
  const sendAll = async () => {
    // A request answered 503 sends nothing more: what is left would arrive after the answer.
    for (const chunk of chunks) if (!timedOut) await producer.send([{ topic, messages: chunk }]);
  };
  try {
    await Promise.race([sendAll(), timeout]);
  } catch (error) {
    if (error instanceof SinkError) throw error;
    if (isRecordTooLarge(error)) throw new SinkError("SINK_RECORD_TOO_LARGE", (error as Error).message);
    throw new SinkError("SINK_KAFKA_UNAVAILABLE", (error as Error).message);
  } finally {
    clearTimeout(timer);
  }
}

/** Kafka's error codes for a batch over max.message.bytes (10) and a request over the broker's limits (18). */
const TOO_LARGE = new Set<unknown>(["MESSAGE_TOO_LARGE", "RECORD_LIST_TOO_LARGE"]);

/**
 * Whether Kafka refused a produce request for its size, as either client reports it: kafkajs
 * (`type` on a KafkaJSProtocolError) or @platformatic/kafka (`apiId` on a ProtocolError inside the
 * aggregate errors of a failed produce).
 *
 * @example
 * isRecordTooLarge(Object.assign(new Error("…"), { type: "MESSAGE_TOO_LARGE", code: 10 })); // true
 */
export function isRecordTooLarge(error: unknown, depth = 0): boolean {
  if (error === null || typeof error !== "object" || depth > 8) return false;
  const e = error as { type?: unknown; apiId?: unknown; errors?: unknown; cause?: unknown };
  if (TOO_LARGE.has(e.type) || TOO_LARGE.has(e.apiId)) return true;
  if (Array.isArray(e.errors) && e.errors.some((inner) => isRecordTooLarge(inner, depth + 1))) return true;
  return isRecordTooLarge(e.cause, depth + 1);
}
