/**
 * The raw archive: every event accepted into `raw.<app>`, kept in the bucket as gzip NDJSON, one
 * line per event, in files under the hour (UTC) the events were received:
 *
 *   raw/<app>/<yyyy>/<mm>/<dd>/<hh>/<topic>+<partition>+<first>-<last>.ndjson.gz
 *
 * where first and last are the offsets of the range of the partition the file was written from (a
 * range's events go to the hours they were received in, one file each). The batcher writes it;
 * franz's `replay` reads it; anyone may query it (Athena, Spark, jq). A line:
 *
 *   {"id":"e1","app":"acme","received_at":"2026-12-01T21:00:00.123Z","topic":"raw.acme",
 *    "partition":0,"offset":"42","key":"u1","event":"{\"ts\":…}"}
 *
 * `event` is the event's exact text, as a JSON string (so a pretty-printed event stays on one
 * line and a large number keeps its digits); `event_base64` replaces it when the bytes are not
 * UTF-8, and `key_base64` replaces `key` likewise. `key` is null when the record had none.
 */
import { isUtf8 } from "node:buffer";

/** One archived event. */
export interface ArchivedEvent {
  readonly id: string;
  readonly app: string;
  /** Epoch milliseconds. */
  readonly receivedAtMs: number;
  readonly topic: string;
  readonly partition: number;
  /** Decimal string: offsets can exceed 2^53. */
  readonly offset: string;
  readonly key: Buffer | null;
  readonly value: Buffer;
}

const HOUR_MS = 3_600_000;

/** The last received time written, as text: the events of one request share it. */
let lastMs = Number.NaN;
let lastIso = "";
function isoTime(ms: number): string {
  if (ms !== lastMs) {
    lastMs = ms;
    lastIso = new Date(ms).toISOString();
  }
  return lastIso;
}

/** Where an archive line is written, byte by byte (the batcher's ByteWriter is one). */
export interface ArchiveSink {
  /** Text of ASCII characters only. */
  ascii(text: string): void;
  utf8(text: string): void;
  bytes(source: Buffer, start: number, end: number): void;
}

/**
 * Writes the event as one archive line, newline included, without building it as a string: the
 * event's bytes are escaped into the sink as they are (the batcher writes millions a minute).
 *
 * @example
 * ```ts
 * writeArchiveLine(writer, { id: "e1", app: "acme", receivedAtMs: 0, topic: "raw.acme", partition: 0, offset: "7", key: null, value: Buffer.from('{"a":1}') });
 * ```
 */
export function writeArchiveLine(out: ArchiveSink, e: ArchivedEvent): void {
  out.utf8(`{"id":${JSON.stringify(e.id)},"app":${JSON.stringify(e.app)},"received_at":"${isoTime(e.receivedAtMs)}","topic":${JSON.stringify(e.topic)},"partition":${e.partition},"offset":"${e.offset}",`);
  if (e.key === null) out.ascii(`"key":null,`);
  else if (isUtf8(e.key)) {
    out.ascii(`"key":"`);
    jsonStringBytes(out, e.key);
    out.ascii(`",`);
  } else out.ascii(`"key_base64":"${e.key.toString("base64")}",`);
  if (isUtf8(e.value)) {
    out.ascii(`"event":"`);
    jsonStringBytes(out, e.value);
    out.ascii(`"}\n`);
  } else out.ascii(`"event_base64":"${e.value.toString("base64")}"}\n`);
}

/** Short escapes JSON.stringify writes for control characters; others are \u00XX. */
const SHORT_ESCAPES: Record<number, string> = { 0x08: "\\b", 0x09: "\\t", 0x0a: "\\n", 0x0c: "\\f", 0x0d: "\\r", 0x22: '\\"', 0x5c: "\\\\" };

/** UTF-8 bytes as the inside of a JSON string, escaped exactly as JSON.stringify escapes their text. */
function jsonStringBytes(out: ArchiveSink, bytes: Buffer): void {
  let run = 0;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] as number;
    if (b >= 0x20 && b !== 0x22 && b !== 0x5c) continue;
    if (i > run) out.bytes(bytes, run, i);
    out.ascii(SHORT_ESCAPES[b] ?? `\\u00${b.toString(16).padStart(2, "0")}`);
    run = i + 1;
  }
  if (bytes.length > run) out.bytes(bytes, run, bytes.length);
}

/**
 * The event as one archive line, newline included (what `writeArchiveLine` writes, as text).
 *
 * @example
 * ```ts
 * archiveLine({ id: "e1", app: "acme", receivedAtMs: 0, topic: "raw.acme", partition: 0, offset: "7", key: null, value: Buffer.from('{"a":1}') });
 * // '{"id":"e1","app":"acme","received_at":"1970-01-01T00:00:00.000Z","topic":"raw.acme","partition":0,"offset":"7","key":null,"event":"{\\"a\\":1}"}\n'
 * ```
 */
export function archiveLine(e: ArchivedEvent): string {
  const parts: Buffer[] = [];
  writeArchiveLine(
    {
      ascii: (text) => void parts.push(Buffer.from(text, "latin1")),
      utf8: (text) => void parts.push(Buffer.from(text, "utf8")),
      bytes: (source, start, end) => void parts.push(source.subarray(start, end)),
    },
    e,
  );
  return Buffer.concat(parts).toString("utf8");
}

/**
 * An archive line read back, or why it is not one.
 *
 * @example
 * ```ts
 * readArchiveLine(archiveLine(event)); // { ok: true, event }
 * readArchiveLine("{}"); // { ok: false, reason: "no id" }
 * ```
 */
export function readArchiveLine(line: string): { ok: true; event: ArchivedEvent } | { ok: false; reason: string } {
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(line) as Record<string, unknown>;
  } catch (error) {
    return { ok: false, reason: `not JSON: ${(error as Error).message}` };
  }
  if (typeof parsed !== "object" || parsed === null) return { ok: false, reason: "not an object" };
  const { id, app, received_at: receivedAt, topic, partition, offset } = parsed;
  if (typeof id !== "string") return { ok: false, reason: "no id" };
  if (typeof app !== "string" || typeof topic !== "string" || typeof partition !== "number" || typeof offset !== "string") {
    return { ok: false, reason: "no app, topic, partition or offset" };
  }
  const receivedAtMs = typeof receivedAt === "string" ? Date.parse(receivedAt) : Number.NaN;
  if (!Number.isFinite(receivedAtMs)) return { ok: false, reason: "no received_at" };
  const value =
    typeof parsed.event === "string" ? Buffer.from(parsed.event, "utf8") : typeof parsed.event_base64 === "string" ? Buffer.from(parsed.event_base64, "base64") : undefined;
  if (value === undefined) return { ok: false, reason: "no event" };
  const key = typeof parsed.key === "string" ? Buffer.from(parsed.key, "utf8") : typeof parsed.key_base64 === "string" ? Buffer.from(parsed.key_base64, "base64") : null;
  return { ok: true, event: { id, app, receivedAtMs, topic, partition, offset, key, value } };
}

/**
 * The start of the hour (UTC) an event received at `receivedAtMs` is filed under.
 *
 * @example
 * ```ts
 * archiveHour(Date.parse("2026-12-01T21:59:59.999Z")); // Date.parse("2026-12-01T21:00:00Z")
 * ```
 */
export function archiveHour(receivedAtMs: number): number {
  return Math.floor(receivedAtMs / HOUR_MS) * HOUR_MS;
}

/**
 * The key of an archive file.
 *
 * @example
 * ```ts
 * archiveKey({ app: "acme", hourMs: Date.parse("2026-12-01T21:00:00Z"), topic: "raw.acme", partition: 3, first: "100", last: "199" });
 * // "raw/acme/2026/12/01/21/raw.acme+3+100-199.ndjson.gz"
 * ```
 */
export function archiveKey(c: { app: string; hourMs: number; topic: string; partition: number; first: string; last: string }): string {
  const hour = new Date(c.hourMs).toISOString(); // 2026-12-01T21:00:00.000Z
  const path = `${hour.slice(0, 4)}/${hour.slice(5, 7)}/${hour.slice(8, 10)}/${hour.slice(11, 13)}`;
  return `${archivePrefix(c.app)}${path}/${c.topic}+${c.partition}+${c.first}-${c.last}.ndjson.gz`;
}

/**
 * Where an app's archive lives in the bucket (a lifecycle rule's prefix).
 *
 * @example
 * ```ts
 * archivePrefix("acme"); // "raw/acme/"
 * ```
 */
export function archivePrefix(app: string): string {
  return `raw/${app}/`;
}
