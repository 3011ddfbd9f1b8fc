/**
 * The dead-letter record on `dlq.<app>`: the raw event's key, bytes and headers untouched, plus
 * why it was set aside and where it was read from, in headers, so it can be inspected and
 * replayed by whoever reads the topic.
 */
import { HEADERS } from "./event-headers.ts";

/** Longest reason kept in a header: enough to act on, bounded however long the error. */
const MAX_REASON_CHARS = 1000;

/** A message as read from a topic: what a dead letter keeps of it. */
export interface SourceMessage {
  readonly topic: string;
  readonly partition: number;
  /** A decimal string: offsets can exceed 2^53. */
  readonly offset: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: Readonly<Record<string, Buffer | undefined>>;
}

/** Why an event could not be placed: a stable code, a message, and the JSON path if any. */
export interface DeadLetterReason {
  readonly code: string;
  readonly message: string;
  readonly path?: string | undefined;
}

/** A dead letter as it is produced. */
export interface DeadLetterMessage {
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer | string>;
}

/** A dead letter read back. */
export interface DeadLetter extends DeadLetterReason {
  /** The event's id, when its raw message carried one. */
  readonly id: string | undefined;
  /** Where the raw event was read from, when the letter says. */
  readonly origin: { readonly topic: string; readonly partition: number; readonly offset: string } | undefined;
  /** Why the letter has no value (Kafka refused it with it), when it has none. */
  readonly valueDropped: string | undefined;
}

/**
 * The dead letter of a rejected raw message.
 *
 * @example
 * ```ts
 * deadLetterOf(message, { code: "EVENT_INVALID_JSON", message: "…" }); // { key, value, headers: { "sz-error-code": …, … } }
 * ```
 */
export function deadLetterOf(message: SourceMessage, reason: DeadLetterReason): DeadLetterMessage {
  const headers: Record<string, Buffer | string> = {};
  for (const [name, value] of Object.entries(message.headers)) if (value !== undefined) headers[name] = value;
  headers[HEADERS.errorCode] = reason.code;
  headers[HEADERS.errorMessage] = reason.message.slice(0, MAX_REASON_CHARS);
  if (reason.path !== undefined) headers[HEADERS.errorPath] = reason.path;
  headers[HEADERS.sourceTopic] = message.topic;
  headers[HEADERS.sourcePartition] = String(message.partition);
  headers[HEADERS.sourceOffset] = message.offset;
  return { key: message.key, value: message.value, headers };
}

/**
 * The same letter without its value, saying why: what is sent when Kafka refuses a letter for
 * its size. Its reason and origin stay; the bytes remain in the raw topic until retention.
 *
 * @example
 * ```ts
 * withoutValue(letter, "the record is too large"); // { ...letter, value: null, headers: { …, "sz-value-dropped": "…" } }
 * ```
 */
export function withoutValue<M extends { value: unknown; headers?: Record<string, Buffer | string> }>(letter: M, why: string): M {
  return { ...letter, value: null, headers: { ...letter.headers, [HEADERS.valueDropped]: why.slice(0, MAX_REASON_CHARS) } };
}

/**
 * Reads a message of a dead-letter topic back, or `undefined` when it carries no error code
 * (it is not a dead letter).
 *
 * @example
 * ```ts
 * readDeadLetter(message); // { id: "e17", code: "EVENT_INVALID_JSON", message: "…", path: undefined, origin: { topic: "raw.acme", partition: 0, offset: "42" }, valueDropped: undefined }
 * ```
 */
export function readDeadLetter(message: { readonly headers: Readonly<Record<string, Buffer | undefined>> }): DeadLetter | undefined {
  const header = (name: string): string | undefined => message.headers[name]?.toString();
  const code = header(HEADERS.errorCode);
  if (code === undefined) return undefined;
  const topic = header(HEADERS.sourceTopic);
  const partition = header(HEADERS.sourcePartition);
  const offset = header(HEADERS.sourceOffset);
  return {
    id: header(HEADERS.id),
    code,
    message: header(HEADERS.errorMessage) ?? "",
    path: header(HEADERS.errorPath),
    origin: topic !== undefined && partition !== undefined && offset !== undefined ? { topic, partition: Number(partition), offset } : undefined,
    valueDropped: header(HEADERS.valueDropped),
  };
}
