/**
 * A tracking API request's body and write key, before its messages are mapped. Pure.
 */
import { parseJson, parseTimestamp, type EpochMicros, type JsonObject, type JsonValue } from "@schematizer/schema";
import { SinkError } from "./sink-errors.ts";

/** A request body: its messages, and what a batch gives all of them. */
export interface TrackingBody {
  readonly messages: readonly JsonValue[];
  /** The body's own `writeKey` (a single call's, or a batch's). */
  readonly writeKey: JsonValue | undefined;
  readonly context?: JsonObject;
  readonly integrations?: JsonObject;
  readonly sentAt?: EpochMicros;
}

/**
 * Reads a request body: one message (`/v1/track`, …) or `{"batch": [...]}` (`/v1/batch`,
 * `/v1/import`). Throws a SinkError for a body that is not that shape (400), an empty batch
 * (400) or one of more than `maxMessages` messages (413).
 *
 * @example
 * readTrackingBody('{"batch":[{"type":"track","event":"Signed Up","userId":"u1"}],"sentAt":"2024-05-01T12:00:00Z"}', true, 100_000);
 * // { messages: [{ type: "track", … }], writeKey: undefined, sentAt: 1714564800000000 }
 */
export function readTrackingBody(text: string, batch: boolean, maxMessages: number): TrackingBody {
  const parsed = parseJson(text);
  if (!parsed.ok) throw new SinkError("SINK_MALFORMED_BODY", `${parsed.message} at offset ${parsed.offset}`);
  const body = parsed.value;
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    throw new SinkError("SINK_MALFORMED_BODY", batch ? 'send {"batch": [messages]}' : "a message is a JSON object");
  }
  if (!batch) return { messages: [body], writeKey: body.writeKey };
  const messages = body.batch;
  if (!Array.isArray(messages)) throw new SinkError("SINK_MALFORMED_BODY", "batch must be an array of messages");
  if (messages.length === 0) throw new SinkError("SINK_NO_EVENTS", "the batch is empty");
  if (messages.length > maxMessages) throw new SinkError("SINK_TOO_MANY_EVENTS", `limit ${maxMessages} messages`);
  return {
    messages,
    writeKey: body.writeKey,
    context: batchObject(body, "context"),
    integrations: batchObject(body, "integrations"),
    sentAt: batchTime(body.sentAt),
  };
}

function batchObject(body: JsonObject, field: string): JsonObject | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "object" || Array.isArray(value)) throw new SinkError("SINK_MALFORMED_BODY", `the batch's ${field} must be an object`);
  return value;
}

function batchTime(value: JsonValue | undefined): EpochMicros | undefined {
  if (value === undefined || value === null) return undefined;
  const micros = typeof value === "string" ? parseTimestamp(value) : undefined;
  if (micros === undefined) throw new SinkError("SINK_MALFORMED_BODY", "the batch's sentAt must be an RFC 3339 date-time");
  return micros;
}

/**
 * The write key of an `Authorization: Basic` header (the key as user name, the password empty and
 * ignored), undefined without such a header. Throws SINK_WRITE_KEY_MISSING for a Basic header
 * that holds no key.
 *
 * @example
 * basicAuthKey("Basic " + btoa("szk_abc:")); // "szk_abc"
 * basicAuthKey("Bearer xyz");                 // undefined
 */
export function basicAuthKey(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const match = /^Basic\s+([A-Za-z0-9+/=_-]+)\s*$/i.exec(header);
  if (!match) return undefined;
  const decoded = Buffer.from(match[1]!, "base64").toString("utf8");
  // Keys were once sent without the colon; the user name is what precedes the first one.
  const colon = decoded.indexOf(":");
  const key = colon < 0 ? decoded : decoded.slice(0, colon);
  if (key === "") throw new SinkError("SINK_WRITE_KEY_MISSING", "the Basic credentials hold no user name");
  return key;
}

/**
 * The request's write key: the Basic header's, else the body's `writeKey`, else (a batch with
 * neither) the first message's. Throws SINK_WRITE_KEY_MISSING when there is none, and
 * SINK_WRITE_KEY_CONFLICT when the body names another key than the header.
 *
 * @example
 * requestWriteKey(undefined, { messages: [{ writeKey: "szk_abc" }], writeKey: undefined }); // "szk_abc"
 */
export function requestWriteKey(basic: string | undefined, body: TrackingBody): string {
  if (basic !== undefined) {
    // Two keys: which app the client meant is unknowable.
    if (typeof body.writeKey === "string" && body.writeKey !== "" && body.writeKey !== basic) throw new SinkError("SINK_WRITE_KEY_CONFLICT");
    return basic;
  }
  if (typeof body.writeKey === "string" && body.writeKey !== "") return body.writeKey;
  const first = body.messages[0];
  const own = first !== null && typeof first === "object" && !Array.isArray(first) ? first.writeKey : undefined;
  if (typeof own === "string" && own !== "") return own;
  throw new SinkError("SINK_WRITE_KEY_MISSING");
}
