/**
 * The event limits, declared once: event-sink refuses what exceeds them, the sqlizer applies the
 * same ones, and franz sizes every app's topics from them. Read apart, the sink could accept an
 * event the sqlizer refuses, or one the broker will not store.
 */
import { z } from "zod";
import { DEFAULT_LIMITS, resolveLimits, type Limits } from "@schematizer/schema";

/** Redshift's SUPER holds 16 MB, and `_sz_unmapped` may have to hold a whole event. */
export const MAX_EVENT_BYTES_CEILING = 16 * 1024 * 1024;

/**
 * The environment variables of the event limits, as zod fields to spread into a service's schema:
 * `z.object({ ...eventLimitsEnv, … })`. Defaults are the schema core's `DEFAULT_LIMITS`.
 */
export const eventLimitsEnv = {
  /** Largest accepted event, in bytes of JSON text (the sink answers 413 beyond). */
  EVENT_MAX_BYTES: z.coerce.number().int().min(1024).max(MAX_EVENT_BYTES_CEILING).default(DEFAULT_LIMITS.maxEventBytes),
  /** Deepest nesting of objects and arrays in an event's body (the sink answers 400 beyond). */
  EVENT_MAX_DEPTH: z.coerce.number().int().positive().max(1000).default(DEFAULT_LIMITS.maxDepth),
};

/**
 * The schema core's limits with the event limits of the environment; the per-table limits
 * (columns, tables per app) keep their defaults, since they are the app's settings.
 *
 * @example
 * eventLimits({ EVENT_MAX_BYTES: 65_536, EVENT_MAX_DEPTH: 8 }); // { ...DEFAULT_LIMITS, maxEventBytes: 65536, maxDepth: 8 }
 */
export function eventLimits(env: { EVENT_MAX_BYTES: number; EVENT_MAX_DEPTH: number }): Limits {
  return resolveLimits({ maxEventBytes: env.EVENT_MAX_BYTES, maxDepth: env.EVENT_MAX_DEPTH });
}

/**
 * What a Kafka record may add to its value: its key (an id or entity id, at most 256 bytes), its
 * headers (the sink's two; a dead letter's reason, origin and error message), its framing and its
 * batch's header. A dead letter's headers must stay within this, less the key.
 */
export const RECORD_OVERHEAD_BYTES = 64 * 1024;

/** The `max.message.bytes` of each of an app's topics. */
export interface TopicMessageBytes {
  /** One raw event with its key and headers. event-sink keeps every produce batch within this. */
  raw: number;
  /** One typed row: its Avro encoding may outgrow the event's JSON (`1` as a double takes 9 bytes). */
  sql: number;
  /** One dead letter: the raw event's bytes with its reason in headers. */
  dlq: number;
}

/**
 * The largest record batch each of an app's topics must accept for every accepted event to be
 * stored, from the one event size limit. Kafka applies `max.message.bytes` to a whole record
 * batch (every message of one produce request for one partition), so producers keep their
 * batches within these too.
 *
 * @example
 * topicMessageBytes(1_048_576); // { raw: 1114112, sql: 2162688, dlq: 1114112 }
 */
export function topicMessageBytes(maxEventBytes: number): TopicMessageBytes {
  return {
    raw: maxEventBytes + RECORD_OVERHEAD_BYTES,
    sql: 2 * maxEventBytes + RECORD_OVERHEAD_BYTES,
    dlq: maxEventBytes + RECORD_OVERHEAD_BYTES,
  };
}

/**
 * The largest typed row the sqlizer may send to sql.<app>: what the topic holds, less the room for
 * the row's key and headers. A larger row is a dead letter, never a produce error.
 *
 * @example
 * maxRowBytes(1_048_576); // 2097152
 */
export function maxRowBytes(maxEventBytes: number): number {
  return topicMessageBytes(maxEventBytes).sql - RECORD_OVERHEAD_BYTES;
}
