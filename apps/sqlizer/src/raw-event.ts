import { HEADERS } from "@schematizer/contracts";
import type { ConsumedMessage } from "@schematizer/kafka";
import { cachedTableName, parseEvent, type Dialect, type Event, type Limits, type RowMeta } from "@schematizer/schema";
import { rejection, type Rejection } from "./sqlizer-errors.ts";

/** A raw event ready to be placed in its table. */
export interface DecodedEvent {
  kind: "event";
  event: Event;
  meta: RowMeta;
  table: string;
}


/**
 * Parses one raw message into an event, its row metadata and its table name, or says why not.
 * The id and received time come from event-sink's headers; an event produced to raw.<app> by
 * other means gets its own `id`, or one derived from where it sits in Kafka, so a re-read after
 * a crash yields the same id (and the loader keeps one row).
 *
 * @example
 * decodeRaw(message, "postgres", DEFAULT_LIMITS) // { kind: "event", table: "_e_user__login", ... }
 */
export function decodeRaw(message: ConsumedMessage, dialect: Dialect, limits: Limits): DecodedEvent | Rejection {
  if (message.value === null) return rejection("SQLIZER_EMPTY_MESSAGE", "the Kafka record has no value");
  const parsed = parseEvent(message.value, limits);
  if (!parsed.ok) {
    const [first] = parsed.errors;
    return {
      kind: "reject",
      code: first!.code,
      message: parsed.errors.map((e) => e.message).join("; "),
      path: first!.path,
    };
  }
  const event = parsed.value;
  const id = message.headers[HEADERS.id]?.toString() ?? event.id ?? `${message.topic}/${message.partition}/${message.offset}`;
  const receivedMs = Number(message.headers[HEADERS.receivedAt]?.toString() ?? message.timestamp);
  return {
    kind: "event",
    event,
    meta: { id, receivedAt: (Number.isFinite(receivedMs) ? receivedMs : message.timestamp) * 1000 },
    table: cachedTableName(event.entype, event.evname, dialect),
  };
}
