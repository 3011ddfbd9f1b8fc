/**
 * How many bytes a produced message takes in a Kafka record batch, at most: what senders use to
 * keep each send within a topic's max.message.bytes (event-sink's produce, franz's redrive and
 * replay).
 */
import type { ProducedMessage } from "./kafka-client.ts";

/**
 * Most bytes a record adds to its key, value and header bytes: its length, attributes, timestamp
 * and offset deltas, the lengths of key and value, the header count, and two lengths per header
 * (varints of at most 5 or 10 bytes each).
 */
const RECORD_FRAMING_BYTES = 40;
const HEADER_FRAMING_BYTES = 10;
/** A record batch's own header (61 bytes in format v2), with room to spare. */
export const RECORD_BATCH_HEADER_BYTES = 128;

/**
 * An upper bound of the bytes `message` takes in a Kafka record batch (format v2, uncompressed).
 *
 * @example
 * recordBytes({ key: "u1", value: '{"a":1}', headers: { "sz-id": "e1" } }); // 2 + 7 + 5 + 2 + 40 + 10 = 66
 */
export function recordBytes(message: ProducedMessage): number {
  let bytes = RECORD_FRAMING_BYTES + byteLength(message.key) + byteLength(message.value);
  if (message.headers) {
    for (const name in message.headers) bytes += HEADER_FRAMING_BYTES + Buffer.byteLength(name) + byteLength(message.headers[name]);
  }
  return bytes;
}

function byteLength(value: string | Buffer | null | undefined): number {
  if (value === null || value === undefined) return 0;
  return typeof value === "string" ? Buffer.byteLength(value) : value.length;
}
