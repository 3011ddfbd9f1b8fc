/**
 * An event's id and received time, as every hop reads them: event-sink's headers first. An event
 * produced to raw.<app> by other means keeps its own `id`, or gets one derived from where it sat
 * in Kafka, so reading it again (after a crash, or from a dead letter) gives the same id and the
 * loader keeps one row; its received time is then its record's timestamp.
 */
import { HEADERS } from "./event-headers.ts";

type Headers = Readonly<Record<string, Buffer | undefined>>;

/** Where a raw event sat in Kafka. */
export interface EventOrigin {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
}

/**
 * @example
 * ```ts
 * eventId({}, undefined, { topic: "raw.acme", partition: 0, offset: "42" }); // "raw.acme/0/42"
 * ```
 */
export function eventId(headers: Headers, ownId: string | undefined, origin: EventOrigin): string;
export function eventId(headers: Headers, ownId: string | undefined, origin: EventOrigin | undefined): string | undefined;
export function eventId(headers: Headers, ownId: string | undefined, origin: EventOrigin | undefined): string | undefined {
  return headers[HEADERS.id]?.toString() ?? ownId ?? (origin === undefined ? undefined : `${origin.topic}/${origin.partition}/${origin.offset}`);
}

/**
 * Epoch milliseconds: event-sink's header, else `timestampMs` (the record's).
 *
 * @example
 * ```ts
 * receivedAtMs({ "sz-received-at": Buffer.from("1700000000000") }, 0); // 1700000000000
 * ```
 */
export function receivedAtMs(headers: Headers, timestampMs: number): number {
  const received = Number(headers[HEADERS.receivedAt]?.toString());
  return Number.isFinite(received) ? received : timestampMs;
}
