/**
 * One message of the tracking API (Segment's spec) as a native event: the text the native
 * endpoint would have forwarded, so that the sqlizer and the batcher treat both alike. Pure.
 *
 * - Table: `_e_<entype>__<evname>`. entype is `user` (a native event by a user, and a `track` of
 *   the same name, share one table), or the message's `integrations.schematizer.entype`. evname
 *   is a track's `event`; each other call has its own: `identifies`, `pages`, `screens`,
 *   `groups`, `aliases` (the table names Segment's warehouses use).
 * - id: `messageId`, so a retried message is one row. enid (`_sz_enid`, the Kafka key):
 *   `integrations.schematizer.enid`, else `userId`, else `anonymousId`.
 * - ts: Segment's event time (tracking-time.ts).
 * - body: a track's, page's or screen's `properties` at the top (one column each), every other
 *   field of the message beside them under its own name (`userId` → `user_id`, `context` →
 *   `context__ip`, `context__library__name`, …; `traits` → `traits__email`: an identify's or
 *   group's traits keep their prefix, so a dimension load can tell them from the rest), a batch's
 *   `context` merged under each message's. A property whose column would be one of those fields'
 *   goes under `properties` (`properties__user_id`) rather than collide. Kept out of the body:
 *   `type`, `messageId`, `event` (the table and `_sz_id` hold them), `writeKey` (a secret),
 *   `integrations` and `_metadata` (delivery instructions), `receivedAt` (`_sz_received_at` is
 *   the pipeline's), `version`, and fields that are null. The spec's fields' columns are reserved
 *   in every message, so a property always lands in the same column.
 *
 * Numbers keep their exact value: the message is parsed with `parseJson` (integers beyond 2^53
 * as bigint) and written back with `stringifyJson`.
 */
import {
  checkEvent,
  formatTimestamp,
  isStorableText,
  jsonPath,
  nameProblem,
  normalizeSegment,
  parseTimestamp,
  stringifyJson,
  type EpochMicros,
  type JsonObject,
  type JsonValue,
  type Limits,
  type Result,
} from "@schematizer/schema";
import { trackingProblem, type TrackingProblem, type TrackingProblemCode } from "./tracking-problems.ts";
import { eventTime } from "./tracking-time.ts";

export const TRACKING_CALLS = ["track", "identify", "page", "screen", "group", "alias"] as const;
export type TrackingCall = (typeof TRACKING_CALLS)[number];

/** The entity type of every message that names no other: the one native events of users carry. */
export const DEFAULT_ENTYPE = "user";
/** The key under a message's `integrations` holding options for this pipeline. */
export const OPTIONS_KEY = "schematizer";
/** evname of each call but track, whose `event` is its evname. */
export const CALL_EVNAMES: Readonly<Record<Exclude<TrackingCall, "track">, string>> = {
  identify: "identifies",
  page: "pages",
  screen: "screens",
  group: "groups",
  alias: "aliases",
};

/** What a message takes from its request. */
export interface RequestParts {
  /** The request's write key: a message naming another is refused. */
  readonly writeKey: string;
  /** A batch's `context`, under each message's own. */
  readonly context?: JsonObject;
  /** A batch's `integrations`, under each message's own. */
  readonly integrations?: JsonObject;
  /** A batch's `sentAt`, for messages without their own. */
  readonly sentAt?: EpochMicros;
  /** When the request arrived (epoch microseconds). */
  readonly receivedAt: EpochMicros;
}

/** A message as the native endpoint would have received it. */
export interface NativeEvent {
  /** The message's `messageId`; absent when it has none (the route then gives it one). */
  readonly id: string | undefined;
  /** The entity id: the Kafka key, so one user's events stay in order. */
  readonly enid: string;
  /** The native event's JSON text. */
  readonly text: string;
  /** Its UTF-8 bytes. */
  readonly bytes: number;
}

/** Fields the body does not keep (see the module's comment); `event` and `properties` by call. */
const CONSUMED = new Set(["type", "messageId", "writeKey", "integrations", "_metadata", "receivedAt", "version", "options"]);
/**
 * Columns of the spec's own fields, which a property never takes, whether this message has the
 * field or not: a property's column is the same in every row.
 */
const SPEC_COLUMNS = ["user_id", "anonymous_id", "context", "properties", "timestamp", "original_timestamp", "sent_at", "channel"];
const RESERVED: Readonly<Record<"track" | "page" | "screen", ReadonlySet<string>>> = {
  track: new Set(SPEC_COLUMNS),
  page: new Set([...SPEC_COLUMNS, "name", "category"]),
  screen: new Set([...SPEC_COLUMNS, "name", "category"]),
};
const OBJECT_FIELDS = ["properties", "traits", "context", "integrations"];
const NAME_FIELDS = ["name", "category"];
const MAX_ID_BYTES = 256;
const MAX_NAME_BYTES = 256;

/**
 * Maps one message to its native event, or lists every problem it has. `call` is the route's
 * (`/v1/track`), or undefined for a batch's message, whose `type` says it.
 *
 * @example
 * const mapped = toNativeEvent(
 *   { type: "track", event: "Order Completed", userId: "u1", messageId: "m1", properties: { total: 30 }, context: { ip: "8.8.8.8" } },
 *   undefined, { writeKey: "szk_…", receivedAt: 1714564800000000 }, DEFAULT_LIMITS);
 * // mapped.value.text: {"id":"m1","ts":"2024-05-01T12:00:00.000Z","entype":"user","evname":"Order Completed","enid":"u1",
 * //                     "body":{"total":30,"userId":"u1","context":{"ip":"8.8.8.8"}}}
 */
export function toNativeEvent(
  message: JsonValue,
  call: TrackingCall | undefined,
  request: RequestParts,
  limits: Limits,
): Result<NativeEvent, TrackingProblem> {
  if (message === null || typeof message !== "object" || Array.isArray(message)) {
    return { ok: false, errors: [trackingProblem("TRACKING_NOT_OBJECT", "$")] };
  }
  const problems = new Problems();

  const type = call ?? message.type;
  if (typeof type !== "string" || !(TRACKING_CALLS as readonly string[]).includes(type)) {
    problems.add("TRACKING_TYPE_INVALID", "$.type", type === undefined ? "type is missing" : `got ${stringifyJson(type as JsonValue)}`);
    return { ok: false, errors: problems.list };
  }
  const kind = type as TrackingCall;
  const spreadsProperties = kind === "track" || kind === "page" || kind === "screen";

  const userId = idField(message, "userId", problems);
  const anonymousId = idField(message, "anonymousId", problems);
  let evname: string;
  if (kind === "track") {
    evname = eventName(message.event, problems) ?? "";
  } else {
    evname = CALL_EVNAMES[kind];
  }
  // A bad id is reported as such; a missing one (absent, null or "") as missing.
  if (kind === "alias") {
    if (userId === undefined && blank(message.userId)) problems.add("TRACKING_USER_ID_REQUIRED", "$.userId");
    if (idField(message, "previousId", problems) === undefined && blank(message.previousId)) problems.add("TRACKING_PREVIOUS_ID_REQUIRED", "$.previousId");
  } else if (userId === undefined && anonymousId === undefined && blank(message.userId) && blank(message.anonymousId)) {
    problems.add("TRACKING_ID_REQUIRED", "$");
  }
  if (kind === "group" && idField(message, "groupId", problems) === undefined && blank(message.groupId)) {
    problems.add("TRACKING_GROUP_ID_REQUIRED", "$.groupId");
  }
  for (const field of OBJECT_FIELDS) objectField(message, field, problems);
  if (kind === "page" || kind === "screen") for (const field of NAME_FIELDS) stringField(message, field, problems);

  const timestamp = timeField(message, "timestamp", problems);
  const originalTimestamp = timeField(message, "originalTimestamp", problems);
  const sentAt = timeField(message, "sentAt", problems);

  const messageId = present(message.messageId);
  if (messageId !== undefined && (typeof messageId !== "string" || messageId === "" || !fitsId(messageId))) {
    problems.add("TRACKING_MESSAGE_ID_FORMAT", "$.messageId");
  }
  const writeKey = present(message.writeKey);
  if (writeKey !== undefined && writeKey !== request.writeKey) problems.add("TRACKING_WRITE_KEY_MISMATCH", "$.writeKey");

  const options = entityOptions(message, request.integrations, problems);
  if (problems.list.length > 0) return { ok: false, errors: problems.list };

  const enid = options.enid ?? (kind === "alias" ? userId : (userId ?? anonymousId)) ?? "";
  const ts = eventTime({ timestamp, originalTimestamp, sentAt: sentAt ?? request.sentAt }, request.receivedAt);
  const tsText = timestampText(ts);
  if (tsText === undefined) {
    return { ok: false, errors: [trackingProblem("TRACKING_TIMESTAMP_RANGE", "$.timestamp", `the corrected time is ${formatTimestamp(ts)}`)] };
  }

  const body = buildBody(message, kind, spreadsProperties, request.context);
  const envelope: JsonObject = {};
  if (messageId !== undefined) envelope.id = messageId;
  envelope.ts = tsText;
  envelope.entype = options.entype ?? DEFAULT_ENTYPE;
  envelope.evname = evname;
  envelope.enid = enid;
  envelope.body = body;
  // The native checks, the sqlizer's own: what passes here is never refused further in.
  const checked = checkEvent(envelope, limits);
  if (!checked.ok) {
    const at = (path: string) => messagePath(path, spreadsProperties ? present(message.properties) : undefined, kind);
    return { ok: false, errors: checked.errors.map((e) => ({ code: e.code, path: at(e.path), message: e.message })) };
  }
  const text = stringifyJson(envelope);
  const bytes = Buffer.byteLength(text);
  if (bytes > limits.maxEventBytes) {
    return { ok: false, errors: [{ code: "EVENT_TOO_LARGE", path: "$", message: `the message is ${bytes} bytes as a stored event; the limit is ${limits.maxEventBytes}` }] };
  }
  return { ok: true, value: { id: messageId as string | undefined, enid, text, bytes } };
}

/**
 * RFC 3339 text of an event time, or undefined beyond years 0001-9999. A safe number of
 * microseconds is always within them (years 1685-2255) and, in whole milliseconds, has the
 * Date's own text, the common case made cheap.
 */
function timestampText(micros: EpochMicros): string | undefined {
  if (typeof micros === "number" && micros % 1000 === 0) return new Date(micros / 1000).toISOString();
  const text = formatTimestamp(micros);
  return typeof micros === "number" || parseTimestamp(text) !== undefined ? text : undefined;
}

/** A message's problems, in the order found. */
class Problems {
  readonly list: TrackingProblem[] = [];
  add(code: TrackingProblemCode, path: string, detail?: string): void {
    this.list.push(trackingProblem(code, path, detail));
  }
}

/** A client clock reading (timestamp, originalTimestamp, sentAt), parsed; reports a bad one. */
function timeField(message: JsonObject, field: string, problems: Problems): EpochMicros | undefined {
  const value = present(message[field]);
  if (value === undefined) return undefined;
  const micros = typeof value === "string" ? parseTimestamp(value) : undefined;
  if (micros === undefined) problems.add("TRACKING_TIMESTAMP_FORMAT", `$.${field}`, `got ${stringifyJson(value)}`);
  return micros;
}

/** A field's value, with null meaning absent (SDKs send `userId: null` before an identify). */
function present(value: JsonValue | undefined): JsonValue | undefined {
  return value === null ? undefined : value;
}

function blank(value: JsonValue | undefined): boolean {
  return value === undefined || value === null || value === "";
}

/** An id field as text (numbers are ids too), undefined when absent or empty; reports a bad one. */
function idField(message: JsonObject, field: string, problems: Problems): string | undefined {
  const value = present(message[field]);
  if (value === undefined || value === "") return undefined;
  const text = typeof value === "string" ? value : typeof value === "number" || typeof value === "bigint" ? String(value) : undefined;
  if (text === undefined || !fitsId(text)) {
    problems.add("TRACKING_ID_FORMAT", jsonPath("$", field), text === undefined ? `got ${kindOf(value)}` : undefined);
    return undefined;
  }
  return text;
}

function fitsId(text: string): boolean {
  return text.length > 0 && Buffer.byteLength(text) <= MAX_ID_BYTES && isStorableText(text);
}

function eventName(value: JsonValue | undefined, problems: Problems): string | undefined {
  const event = present(value);
  if (event === undefined || (typeof event === "string" && event.trim() === "")) {
    problems.add("TRACKING_EVENT_REQUIRED", "$.event");
    return undefined;
  }
  if (typeof event !== "string") {
    problems.add("TRACKING_EVENT_FORMAT", "$.event", `got ${kindOf(event)}`);
    return undefined;
  }
  const problem = Buffer.byteLength(event) > MAX_NAME_BYTES ? `longer than ${MAX_NAME_BYTES} bytes` : nameProblem(event);
  if (problem !== undefined) {
    problems.add("TRACKING_EVENT_FORMAT", "$.event", problem);
    return undefined;
  }
  return event;
}

function objectField(message: JsonObject, field: string, problems: Problems): void {
  const value = present(message[field]);
  if (value !== undefined && (typeof value !== "object" || Array.isArray(value))) {
    problems.add("TRACKING_FIELD_TYPE", `$.${field}`, `${field} must be an object, got ${kindOf(value)}`);
  }
}

function stringField(message: JsonObject, field: string, problems: Problems): void {
  const value = present(message[field]);
  if (value !== undefined && typeof value !== "string") problems.add("TRACKING_FIELD_TYPE", `$.${field}`, `${field} must be a string, got ${kindOf(value)}`);
}

/** `integrations.schematizer.{entype,enid}`, the message's over the batch's. */
function entityOptions(message: JsonObject, batchIntegrations: JsonObject | undefined, problems: Problems): { entype?: string; enid?: string } {
  const own = optionsOf(message.integrations);
  const shared = optionsOf(batchIntegrations);
  const result: { entype?: string; enid?: string } = {};
  const entype = present(own?.entype) ?? present(shared?.entype);
  if (entype !== undefined) {
    const problem = typeof entype !== "string" ? `got ${kindOf(entype)}` : Buffer.byteLength(entype) > MAX_NAME_BYTES ? "too long" : nameProblem(entype);
    if (problem === undefined && entype !== "") result.entype = entype as string;
    else problems.add("TRACKING_ENTITY_FORMAT", `$.integrations.${OPTIONS_KEY}.entype`, problem ?? "empty");
  }
  const enid = present(own?.enid) ?? present(shared?.enid);
  if (enid !== undefined) {
    if (typeof enid === "string" && fitsId(enid)) result.enid = enid;
    else problems.add("TRACKING_ENTITY_FORMAT", `$.integrations.${OPTIONS_KEY}.enid`);
  }
  return result;
}

function optionsOf(integrations: JsonValue | undefined): JsonObject | undefined {
  if (integrations === null || typeof integrations !== "object" || Array.isArray(integrations)) return undefined;
  const options = integrations[OPTIONS_KEY];
  return options !== null && typeof options === "object" && !Array.isArray(options) ? options : undefined;
}

/**
 * The native body: spread properties first, then the message's other fields. A property stays
 * at the top unless its column is a spec field's (RESERVED) or one of this message's other fields'.
 */
function buildBody(message: JsonObject, kind: TrackingCall, spreadsProperties: boolean, batchContext: JsonObject | undefined): JsonObject {
  const body: JsonObject = {};
  const properties = spreadsProperties ? present(message.properties) : undefined;
  if (properties !== undefined) {
    const reserved = RESERVED[kind as keyof typeof RESERVED];
    // Columns of fields outside the spec, which are rare: allocated only for a message that has one.
    let extra: Set<string> | undefined;
    for (const key in message) {
      if (kept(message, key, kind, true) && !reserved.has(columnOf(key))) (extra ??= new Set()).add(columnOf(key));
    }
    let aside: JsonObject | undefined;
    for (const key in properties as JsonObject) {
      const value = (properties as JsonObject)[key]!;
      if (isAside(key, reserved, extra)) (aside ??= {})[key] = value;
      else body[key] = value;
    }
    if (aside !== undefined) body.properties = aside;
  }
  for (const key in message) {
    if (!kept(message, key, kind, spreadsProperties)) continue;
    const value = message[key]!;
    body[key] = key === "context" && batchContext !== undefined ? { ...batchContext, ...(value as JsonObject) } : value;
  }
  if (body.context === undefined && batchContext !== undefined) body.context = batchContext;
  return body;
}

/** Whether the body keeps a field of the message (under its own name). */
function kept(message: JsonObject, key: string, kind: TrackingCall, spreadsProperties: boolean): boolean {
  return !CONSUMED.has(key) && !(kind === "track" && key === "event") && !(spreadsProperties && key === "properties") && message[key] !== null;
}

function isAside(property: string, reserved: ReadonlySet<string>, extra: ReadonlySet<string> | undefined): boolean {
  const column = columnOf(property);
  return reserved.has(column) || (extra !== undefined && extra.has(column));
}

const columns = new Map<string, string>();

/** The column a top-level key becomes (remembered: a stream repeats its keys). */
function columnOf(key: string): string {
  let column = columns.get(key);
  if (column === undefined) {
    if (columns.size >= 10_000) columns.clear();
    column = normalizeSegment(key);
    columns.set(key, column);
  }
  return column;
}

/** A path in the native body (`$.body.total`) as a path in the message (`$.properties.total`). */
function messagePath(bodyPath: string, properties: JsonValue | undefined, kind: TrackingCall): string {
  if (!bodyPath.startsWith("$.body")) return "$";
  const rest = bodyPath.slice("$.body".length);
  let first: string | undefined;
  if (rest.startsWith(".")) first = /^\.([^.[]*)/.exec(rest)?.[1];
  else if (rest.startsWith('["')) {
    const end = rest.indexOf('"]');
    first = end > 0 ? (JSON.parse(rest.slice(1, end + 1)) as string) : undefined;
  }
  const spread =
    first !== undefined &&
    properties !== null &&
    typeof properties === "object" &&
    Object.hasOwn(properties, first) &&
    !isAside(first, RESERVED[kind as keyof typeof RESERVED], undefined);
  return spread ? `$.properties${rest}` : `$${rest}`;
}

function kindOf(value: JsonValue): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "bigint" ? "a number" : typeof value === "object" ? "an object" : `a ${typeof value}`;
}
