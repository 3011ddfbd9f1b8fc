/**
 * One range of a raw partition being cut into archive files: each event's line, in the file of
 * the hour it was received. Pure: no I/O.
 *
 * An event is archived under the id and received time every hop reads (contracts' `eventId`,
 * `receivedAtMs`). A record sent again by an operator (`sz-resent`: a redrive, a replay) is
 * already in the archive and is skipped, as is a record with no value (nothing was accepted).
 */
import { archiveHour, eventId, HEADERS, receivedAtMs, writeArchiveLine } from "@schematizer/contracts";
import type { ConsumedMessage } from "@schematizer/kafka";
import { DEFAULT_LIMITS, parseEvent } from "@schematizer/schema";
import { ByteWriter } from "../byte-writer.ts";

/** The events of one hour of a range, as archive lines. */
export interface HourFile {
  readonly hourMs: number;
  /** The lines, as UTF-8. */
  readonly ndjson: ByteWriter;
  events: number;
  first: string;
  last: string;
  oldestReceivedMs: number;
  newestReceivedMs: number;
}

/** Why a record of a raw topic is not archived. */
export type SkipReason = "resent" | "no_value";

/**
 * @example
 * ```ts
 * const range = new ArchiveBuffer("acme", "raw.acme", 0, 100n);
 * for (const m of messages) { range.add(m); if (range.bytes >= maxBytes) break; }
 * range.files(); // one HourFile per hour received
 * ```
 */
export class ArchiveBuffer {
  private readonly byHour = new Map<number, HourFile>();
  /** Offset of the last record taken, archived or skipped. */
  last: string | undefined;
  records = 0;
  bytes = 0;
  readonly skipped: Record<SkipReason, number> = { resent: 0, no_value: 0 };

  constructor(
    readonly app: string,
    readonly topic: string,
    readonly partition: number,
    /** The range's first offset: the ledger's end + 1. */
    readonly first: bigint,
  ) {}

  add(message: ConsumedMessage): void {
    this.last = message.offset;
    this.records++;
    if (message.headers[HEADERS.resent] !== undefined) {
      this.skipped.resent++;
      return;
    }
    if (message.value === null) {
      this.skipped.no_value++;
      return;
    }
    const received = receivedAtMs(message.headers, message.timestamp);
    // event-sink names every event; only a record produced by other means is parsed for its own id.
    const ownId = message.headers[HEADERS.id] === undefined ? ownIdOf(message.value) : undefined;
    const hourMs = archiveHour(received);
    let file = this.byHour.get(hourMs);
    if (file === undefined) {
      file = { hourMs, ndjson: new ByteWriter(), events: 0, first: message.offset, last: message.offset, oldestReceivedMs: received, newestReceivedMs: received };
      this.byHour.set(hourMs, file);
    }
    const before = file.ndjson.length;
    writeArchiveLine(file.ndjson, {
      id: eventId(message.headers, ownId, message),
      app: this.app,
      receivedAtMs: received,
      topic: this.topic,
      partition: this.partition,
      offset: message.offset,
      key: message.key,
      value: message.value,
    });
    file.events++;
    file.last = message.offset;
    if (received < file.oldestReceivedMs) file.oldestReceivedMs = received;
    if (received > file.newestReceivedMs) file.newestReceivedMs = received;
    this.bytes += file.ndjson.length - before;
  }

  /** The files of the range, by hour. */
  files(): HourFile[] {
    return [...this.byHour.values()].sort((a, b) => a.hourMs - b.hourMs);
  }

  /** Records of the range archived. */
  events(): number {
    return this.records - this.skipped.resent - this.skipped.no_value;
  }
}

/** The event's own `id`, as the sqlizer reads it, or undefined when it has none or does not parse. */
function ownIdOf(value: Buffer): string | undefined {
  const parsed = parseEvent(value, DEFAULT_LIMITS);
  return parsed.ok ? parsed.value.id : undefined;
}
