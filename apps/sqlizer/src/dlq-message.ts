import { HEADERS, type ConsumedMessage, type ProducedMessage } from "@schematizer/kafka";
import type { Rejection } from "./sqlizer-errors.ts";

/**
 * The dead-letter record of a rejected event: the original key, bytes and headers untouched,
 * plus why and where from, so it can be inspected and replayed.
 *
 * @example
 * dlqMessage(message, { kind: "reject", code: "EVENT_INVALID_JSON", message: "…" })
 */
export function dlqMessage(message: ConsumedMessage, rejection: Rejection): ProducedMessage {
  const headers: Record<string, Buffer | string> = {};
  for (const [name, value] of Object.entries(message.headers)) if (value !== undefined) headers[name] = value;
  headers[HEADERS.errorCode] = rejection.code;
  headers[HEADERS.errorMessage] = rejection.message.slice(0, 1000);
  if (rejection.path !== undefined) headers[HEADERS.errorPath] = rejection.path;
  headers[HEADERS.sourceTopic] = message.topic;
  headers[HEADERS.sourcePartition] = String(message.partition);
  headers[HEADERS.sourceOffset] = message.offset;
  return { key: message.key, value: message.value, headers };
}
