/**
 * Which archived events a `replay` sends again, and what it sends: the window of received times,
 * the table filter, each event's fate, and the raw message it becomes. Pure: the reading and the
 * sending are replay.ts'.
 */
import { HEADERS, readArchiveLine, type ArchivedEvent } from "@schematizer/contracts";
import type { ProducedMessage } from "@schematizer/kafka";
import { parseEvent, type Limits } from "@schematizer/schema";
import { parseSince } from "./dead-letters.ts";
import { franzError } from "./franz-errors.ts";

/** Received times in [fromMs, toMs), epoch milliseconds. */
export interface ReplayWindow {
  readonly fromMs: number;
  readonly toMs: number;
}

/** The table an event must parse to; each given name must match. */
export interface ReplayFilter {
  readonly entype?: string | undefined;
  readonly evname?: string | undefined;
}

/** What becomes of one archived event. */
export type ReplayFate = "replay" | "outside_window" | "not_matching";

/**
 * An archive line of the app's, read, or why it cannot be replayed: the archive's own reason
 * (`not JSON: …`, `no id`, …), or `another app's event: <app>`.
 *
 * @example
 * readReplayLine(line, "acme"); // { ok: true, event: { id: "e1", app: "acme", … } }
 * readReplayLine("{", "acme"); // { ok: false, reason: "not JSON: …" }
 */
export function readReplayLine(line: string, app: string): { ok: true; event: ArchivedEvent } | { ok: false; reason: string } {
  const read = readArchiveLine(line);
  if (read.ok && read.event.app !== app) return { ok: false, reason: `another app's event: ${read.event.app}` };
  return read;
}

/**
 * A reason an unreadable line is counted under: its words before any detail (`not JSON:
 * Unexpected token…` counts as `not JSON`), so the counts stay few.
 *
 * @example
 * reasonKind("not JSON: Unexpected end of JSON input"); // "not JSON"
 */
export function reasonKind(reason: string): string {
  return reason.split(":", 1)[0]!;
}

/**
 * The window `--from` and `--to` name, each an ISO 8601 time or a while ago (as `--since`).
 * Throws FRANZ_BAD_REQUEST when one is missing or unreadable, or when the window is empty.
 *
 * @example
 * replayWindow("3h", "2024-05-01T11:00:00Z", new Date("2024-05-01T12:00:00Z"));
 * // { fromMs: Date.parse("2024-05-01T09:00:00Z"), toMs: Date.parse("2024-05-01T11:00:00Z") }
 */
export function replayWindow(from: string | undefined, to: string | undefined, now: Date): ReplayWindow {
  if (from === undefined || to === undefined) throw franzError("FRANZ_BAD_REQUEST", "replay takes --from TIME and --to TIME");
  const fromMs = parseSince(from, now, "--from").getTime();
  const toMs = parseSince(to, now, "--to").getTime();
  if (!(fromMs < toMs)) throw franzError("FRANZ_BAD_REQUEST", `--from must be before --to, got ${new Date(fromMs).toISOString()} … ${new Date(toMs).toISOString()}`);
  return { fromMs, toMs };
}

/**
 * Whether an archived event is replayed: received in the window and, when the filter names an
 * entype or an evname, parsed by the sqlizer's own parser (with `limits`) to that table. An event
 * that does not parse matches no filter; without a filter, it is replayed like any other (the
 * sqlizer dead-letters it again, as the first time).
 *
 * @example
 * replayFate(event, { fromMs: 0, toMs: Date.now() }, { entype: "user", evname: "login" }, DEFAULT_LIMITS); // "replay"
 */
export function replayFate(event: ArchivedEvent, window: ReplayWindow, filter: ReplayFilter, limits: Limits): ReplayFate {
  if (event.receivedAtMs < window.fromMs || event.receivedAtMs >= window.toMs) return "outside_window";
  if (filter.entype === undefined && filter.evname === undefined) return "replay";
  const parsed = parseEvent(event.value, limits);
  if (!parsed.ok) return "not_matching";
  if (filter.entype !== undefined && parsed.value.entype !== filter.entype) return "not_matching";
  if (filter.evname !== undefined && parsed.value.evname !== filter.evname) return "not_matching";
  return "replay";
}

/**
 * The raw message that sends an archived event again: its key and exact bytes, its id and received
 * time as event-sink gave them (so its row is the same row, and the warehouse keeps one per id),
 * marked `sz-resent: replay` (the archive holds it already, so it is not archived again).
 *
 * @example
 * replayMessage(event); // { key: <u1>, value: <{"ts":…}>, headers: { "sz-id": "e1", "sz-received-at": "1714564800000", "sz-resent": "replay" } }
 */
export function replayMessage(event: ArchivedEvent): ProducedMessage {
  return {
    key: event.key,
    value: event.value,
    headers: { [HEADERS.id]: event.id, [HEADERS.receivedAt]: String(event.receivedAtMs), [HEADERS.resent]: "replay" },
  };
}
