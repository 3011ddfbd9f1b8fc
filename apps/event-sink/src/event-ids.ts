import { SinkError } from "./sink-errors.ts";

/** Longest Idempotency-Key: with `:` and an index, a derived id stays within the 256 bytes of `_sz_id`. */
export const MAX_IDEMPOTENCY_KEY_LENGTH = 200;
const VISIBLE_ASCII = /^[\x21-\x7e]+$/;

/**
 * The request's Idempotency-Key header, checked, or undefined when absent. Visible ASCII only, so
 * that every id derived from it is storable text wherever ids go.
 *
 * @example
 * idempotencyKeyOf("batch-2024-01-01-0007"); // "batch-2024-01-01-0007"
 * idempotencyKeyOf("two words");              // throws SinkError SINK_BAD_IDEMPOTENCY_KEY
 */
export function idempotencyKeyOf(header: string | string[] | undefined): string | undefined {
  if (header === undefined) return undefined;
  // Sent twice, a header arrives as a list: which one the client meant is unknowable.
  if (typeof header !== "string" || header.length > MAX_IDEMPOTENCY_KEY_LENGTH || !VISIBLE_ASCII.test(header)) {
    throw new SinkError("SINK_BAD_IDEMPOTENCY_KEY");
  }
  return header;
}

/**
 * The id of the event at `index` of a request sent with Idempotency-Key `key` and no `id` of its
 * own. A resent request (the same events in the same order with the same key) gets the same ids,
 * so what a failed attempt stored is not stored twice.
 *
 * @example
 * derivedId("batch-7", 0); // "batch-7:0"
 */
export function derivedId(key: string, index: number): string {
  return `${key}:${index}`;
}
