/**
 * Dead letters as an operator reads and redrives them: what each letter of `dlq.<app>` says (the
 * event's id, reason, received time, table and first characters), which letters a command picks,
 * and the raw message a redrive sends back. Pure: the reading and the sending are dlq-operations.ts'.
 */
import { eventId, HEADERS, readDeadLetter, receivedAtMs } from "@schematizer/contracts";
import type { ConsumedMessage, ProducedMessage } from "@schematizer/kafka";
import { isPlainName, tableName, type Dialect } from "@schematizer/schema";
import { franzError } from "./franz-errors.ts";

/** Characters of the event shown in a listing. */
const EXCERPT_CHARS = 120;

/** What a letter of `dlq.<app>` says, as `dlq list` shows it. */
export interface DeadLetterView {
  /** Where the letter is in dlq.<app>. */
  readonly partition: number;
  readonly offset: string;
  /**
   * The event's id as the sqlizer gives it (raw-event.ts): event-sink's `sz-id`, else the event's
   * own `id`, else where it was read from in raw.<app>.
   */
  readonly id: string | undefined;
  readonly reason: string;
  readonly message: string;
  readonly path: string | undefined;
  /** When event-sink accepted the event (`sz-received-at`), else when the letter was written. */
  readonly receivedAt: Date;
  /** The table the event was meant for, when its envelope names one. */
  readonly table: string | undefined;
  /** The event's first characters, control characters escaped, or why the letter has no bytes. */
  readonly excerpt: string;
  /** Where the event was read from in raw.<app>. */
  readonly origin: { readonly topic: string; readonly partition: number; readonly offset: string } | undefined;
  /** Why the letter has no value (Kafka refused it with it): such a letter cannot be redriven. */
  readonly valueDropped: string | undefined;
}

/** Which letters a command takes; every given condition must hold. */
export interface LetterFilter {
  /** A reason code, or a prefix ending in `*` (`EVENT_*`). */
  readonly reason?: string | undefined;
  /** Letters of events received at or after this time. */
  readonly since?: Date | undefined;
  readonly ids?: ReadonlySet<string> | undefined;
}

/** The headers a dead letter adds to the raw message: a redriven event is sent without them. */
const LETTER_HEADERS: ReadonlySet<string> = new Set([
  HEADERS.errorCode,
  HEADERS.errorMessage,
  HEADERS.errorPath,
  HEADERS.sourceTopic,
  HEADERS.sourcePartition,
  HEADERS.sourceOffset,
  HEADERS.valueDropped,
]);

/**
 * What one message of `dlq.<app>` says, or `undefined` when it is not a dead letter (no error code).
 *
 * @example
 * viewDeadLetter(message, "postgres");
 * // { id: "e17", reason: "REGISTRY_TABLE_LIMIT", table: "_e_user__logout", excerpt: '{"ts":…', receivedAt: 2024-05-01T12:00:00.000Z, … }
 */
export function viewDeadLetter(message: ConsumedMessage, dialect: Dialect): DeadLetterView | undefined {
  const letter = readDeadLetter(message);
  if (letter === undefined) return undefined;
  const text = message.value?.toString("utf8");
  const envelope = text === undefined ? undefined : looseEnvelope(text);
  const origin = letter.origin;
  return {
    partition: message.partition,
    offset: message.offset,
    id: eventId(message.headers, envelope?.id, origin),
    reason: letter.code,
    message: letter.message,
    path: letter.path,
    receivedAt: new Date(receivedAtMs(message.headers, message.timestamp)),
    table: envelope?.entype !== undefined && envelope.evname !== undefined ? tableName(envelope.entype, envelope.evname, dialect) : undefined,
    excerpt: text === undefined ? `(not kept: ${letter.valueDropped ?? "the letter has no value"})` : excerptOf(text),
    origin,
    valueDropped: letter.valueDropped,
  };
}

/** The envelope's names and id where they are plain strings, from any JSON object; nothing else is checked. */
function looseEnvelope(text: string): { id?: string; entype?: string; evname?: string } | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) return undefined;
  const { id, entype, evname } = value as Record<string, unknown>;
  const name = (v: unknown) => (typeof v === "string" && isPlainName(v) ? v : undefined);
  return { ...(typeof id === "string" ? { id } : {}), entype: name(entype), evname: name(evname) };
}

/**
 * The first characters of an event's text, on one line: control characters escaped, cut on a
 * character boundary, `…` when there is more.
 *
 * @example
 * excerptOf('{"a":"x\ny"}'); // '{"a":"x\\ny"}'
 */
export function excerptOf(text: string, chars = EXCERPT_CHARS): string {
  const head = Array.from(text.slice(0, chars * 2)).slice(0, chars).join("");
  // eslint-disable-next-line no-control-regex -- the point is to find them
  const shown = head.replace(/[\u0000-\u001f\u007f]/g, (c) => (c === "\n" ? "\\n" : c === "\t" ? "\\t" : `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`));
  return head.length < text.length ? `${shown}…` : shown;
}

/**
 * Whether a letter is one the filter picks.
 *
 * @example
 * letterMatches(view, { reason: "REGISTRY_*", since: new Date("2024-05-01") }); // true
 */
export function letterMatches(view: DeadLetterView, filter: LetterFilter): boolean {
  if (filter.reason !== undefined) {
    const matches = filter.reason.endsWith("*") ? view.reason.startsWith(filter.reason.slice(0, -1)) : view.reason === filter.reason;
    if (!matches) return false;
  }
  if (filter.since !== undefined && view.receivedAt < filter.since) return false;
  if (filter.ids !== undefined && (view.id === undefined || !filter.ids.has(view.id))) return false;
  return true;
}

const AGO = /^(\d+)(s|m|h|d)$/;
const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/**
 * The time `--since` (or another option, `flag`, such as replay's `--from`) names: an ISO 8601
 * date or time (`2024-05-01`, `2024-05-01T12:00:00Z`), or a while ago (`90s`, `30m`, `2h`, `7d`).
 * Throws FRANZ_BAD_REQUEST for anything else.
 *
 * @example
 * parseSince("2h", new Date("2024-05-01T12:00:00Z")); // 2024-05-01T10:00:00.000Z
 */
export function parseSince(text: string, now: Date, flag = "--since"): Date {
  const ago = AGO.exec(text);
  if (ago) return new Date(now.getTime() - Number(ago[1]) * UNIT_MS[ago[2] as keyof typeof UNIT_MS]);
  const at = /^\d{4}-\d{2}-\d{2}/.test(text) ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(at)) throw franzError("FRANZ_BAD_REQUEST", `${flag} takes an ISO 8601 time (2024-05-01T12:00:00Z) or a while ago (30m, 2h, 7d), got ${JSON.stringify(text)}`);
  return new Date(at);
}

/**
 * The raw message that puts a dead-lettered event back into raw.<app>: its key, bytes and headers
 * as event-sink wrote them, without the letter's own headers, with the id and received time the
 * sqlizer gave it (so its row is the same row, and the warehouse keeps one per id), marked
 * `sz-resent: redrive` (the raw archive holds it already); `undefined` for a letter without its value.
 *
 * @example
 * redriveMessage(message, view);
 * // { key: <u1>, value: <{"ts":…}>, headers: { "sz-id": "e17", "sz-received-at": "1714564800000", "sz-resent": "redrive" } }
 */
export function redriveMessage(message: ConsumedMessage, view: DeadLetterView): ProducedMessage | undefined {
  if (message.value === null) return undefined;
  const headers: Record<string, Buffer | string> = {};
  for (const [name, value] of Object.entries(message.headers)) if (value !== undefined && !LETTER_HEADERS.has(name)) headers[name] = value;
  if (headers[HEADERS.id] === undefined && view.id !== undefined) headers[HEADERS.id] = view.id;
  headers[HEADERS.receivedAt] ??= String(view.receivedAt.getTime());
  headers[HEADERS.resent] = "redrive";
  return { key: message.key, value: message.value, headers };
}

/**
 * Counts by reason as shown: the most frequent first.
 *
 * @example
 * orderCounts(new Map([["A", 1], ["B", 2]])); // { B: 2, A: 1 }
 */
export function orderCounts(counts: ReadonlyMap<string, number>): Record<string, number> {
  return Object.fromEntries([...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])));
}

/**
 * A letter in two or three lines: the id, reason, received time, table and place; the message;
 * the event's first characters.
 *
 * @example
 * formatLetter(view);
 * // e17  REGISTRY_TABLE_LIMIT  received 2024-05-01T12:00:00.000Z  table _e_user__logout  (dlq 0/5)
 * //   app acme already has 1 tables, its limit; events of user/logout have no table
 * //   {"ts":"2024-05-01T12:00:00Z","entype":"user","evname":"logout","body":{}}
 */
export function formatLetter(view: DeadLetterView): string {
  return [
    `${view.id ?? "(no id)"}  ${view.reason}  received ${view.receivedAt.toISOString()}  table ${view.table ?? "(none)"}  (dlq ${view.partition}/${view.offset})`,
    `  ${view.message}${view.path === undefined ? "" : ` at ${view.path}`}`,
    `  ${view.excerpt}`,
  ].join("\n");
}

/**
 * Counts in one line.
 *
 * @example
 * formatCounts({ REGISTRY_TABLE_LIMIT: 3, EVENT_TOO_DEEP: 1 }); // "REGISTRY_TABLE_LIMIT 3, EVENT_TOO_DEEP 1"
 */
export function formatCounts(counts: Record<string, number>): string {
  const entries = Object.entries(counts);
  return entries.length === 0 ? "none" : entries.map(([reason, n]) => `${reason} ${n}`).join(", ");
}
