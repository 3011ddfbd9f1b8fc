import { eventId, receivedAtMs } from "@schematizer/contracts";
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
 * The id and received time are read by the contracts' rule (eventId, receivedAtMs).
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
  return {
    kind: "event",
    event,
    meta: { id: eventId(message.headers, event.id, message), receivedAt: receivedAtMs(message.headers, message.timestamp) * 1000 },
    table: cachedTableName(event.entype, event.evname, dialect),
  };
}
