import { MAX_IDEMPOTENCY_KEY_LENGTH } from "./event-ids.ts";
import { MAX_LISTED_PROBLEMS } from "./event-problems.ts";
import { SINK_ERRORS } from "./sink-errors.ts";
import { TRACKING_PROBLEMS } from "./tracking-problems.ts";
import { TRACKING_PATHS } from "./tracking-route.ts";

export interface PublishedLimits {
  maxBodyBytes: number;
  maxEventBytes: number;
  maxEvents: number;
}

const EXACTLY_ONCE =
  "Exactly once: a 503 (or a lost answer) may come after part of the request was stored, so resend the same request until it is answered 202 or 4xx, " +
  "and make each event's id the same on every attempt: give every event an `id` (best), or send the request with an `Idempotency-Key` header, " +
  "from which each event without an `id` gets the id `<Idempotency-Key>:<index in the request>`. Events stored under the same id make one row. " +
  "Without either, each attempt gets new ids and a resent event may be stored twice.";

/** The tracking API's paths (Segment's spec; see the README and tracking-message.ts). */
function trackingPaths(error: (description: string) => object) {
  const message = {
    type: "object",
    description:
      "A message of Segment's spec. track: event, properties; identify: traits; page and screen: name, category, properties; group: groupId, traits; alias: previousId. " +
      "Every message: userId or anonymousId, messageId (the event id: a resent message is one row), context, integrations (integrations.schematizer.entype and .enid choose the entity), timestamp, originalTimestamp, sentAt.",
    properties: {
      type: { type: "string", enum: ["track", "identify", "page", "screen", "group", "alias"], description: "In a batch; a single call's path says it" },
      userId: { type: ["string", "number"] },
      anonymousId: { type: ["string", "number"] },
      messageId: { type: "string", maxLength: 256 },
      event: { type: "string" },
      properties: { type: "object" },
      traits: { type: "object" },
      context: { type: "object" },
      integrations: { type: "object" },
      timestamp: { type: "string", format: "date-time" },
      sentAt: { type: "string", format: "date-time" },
      writeKey: { type: "string" },
    },
    example: { event: "Order Completed", userId: "u1", messageId: "m-1", properties: { order_id: "o1", total: 30.5 } },
  };
  const batch = {
    type: "object",
    required: ["batch"],
    properties: { batch: { type: "array", items: message, minItems: 1 }, context: { type: "object" }, integrations: { type: "object" }, sentAt: { type: "string", format: "date-time" }, writeKey: { type: "string" } },
  };
  const problems = Object.keys(TRACKING_PROBLEMS).join(", ");
  const operation = (call: string) => ({
    post: {
      summary: call === "batch" ? "Send a batch of tracking messages" : `Send one ${call} message`,
      security: [{ trackingWriteKey: [] }, {}],
      requestBody: {
        required: true,
        description: "JSON as application/json or text/plain; Content-Encoding: gzip is accepted.",
        content: { "application/json": { schema: call === "batch" ? batch : message }, "text/plain": { schema: { type: "string" } } },
      },
      responses: {
        "200": { description: "Every message is durably in Kafka (acks=all)", content: { "application/json": { schema: { type: "object", properties: { success: { const: true } } } } } },
        "400": error(`A malformed body, or bad messages (each problem listed by index and path: ${problems}); nothing was accepted`),
        "401": error("No write key"),
        "403": error("No app has this key, the app is disabled, or the page's origin is not one the app allows"),
        "413": error("The body, a message or the number of messages is over its limit; nothing was accepted"),
        "415": error("Unsupported Content-Type or Content-Encoding"),
        "503": error("Kafka or the registry is away: resend the same request after Retry-After seconds (messageIds make it safe)"),
      },
    },
  });
  return Object.fromEntries(Object.entries(TRACKING_PATHS).map(([path, call]) => [path, operation(call)]));
}

/** The public endpoint, described in OpenAPI 3.1 and served at /openapi.json. */
export function openApiDocument({ maxBodyBytes, maxEventBytes, maxEvents }: PublishedLimits) {
  const errorBody = {
    type: "object",
    required: ["code", "message"],
    properties: {
      code: { type: "string", enum: Object.keys(SINK_ERRORS) },
      message: { type: "string" },
      badEvents: { type: "integer", description: "For SINK_BAD_EVENTS and SINK_EVENT_TOO_LARGE: how many events have problems" },
      totalErrors: { type: "integer", description: "For SINK_BAD_EVENTS and SINK_EVENT_TOO_LARGE: how many problems there are in all" },
      errors: {
        type: "array",
        maxItems: MAX_LISTED_PROBLEMS,
        description: `The first ${MAX_LISTED_PROBLEMS} problems of the bad events, in request order, by the event's index in the request (totalErrors counts them all)`,
        items: {
          type: "object",
          required: ["index", "code", "path", "message"],
          properties: {
            index: { type: "integer" },
            code: { type: "string", examples: ["ENVELOPE_FIELD_MISSING", "EVENT_INVALID_JSON"] },
            path: { type: "string", examples: ["$.ts", "$.body"] },
            message: { type: "string" },
          },
        },
      },
    },
  };
  const error = (description: string) => ({ description, content: { "application/json": { schema: errorBody } } });
  const event = {
    type: "object",
    required: ["ts", "entype", "evname", "body"],
    additionalProperties: false,
    properties: {
      id: {
        type: "string",
        maxLength: 256,
        description: "The event's id: events sent with the same id are stored once. When absent: derived from the request's Idempotency-Key, or generated (then a resent event gets a new one).",
      },
      ts: {
        oneOf: [
          { type: "string", format: "date-time", description: "RFC 3339" },
          { type: "integer", description: "epoch milliseconds" },
        ],
      },
      entype: { type: "string", minLength: 1, description: "Entity type, e.g. user" },
      evname: { type: "string", minLength: 1, description: "Event name, e.g. pass_mission" },
      enid: { type: "string", description: "Entity id: the Kafka key, so one entity's events stay in order" },
      body: { type: "object", description: "The event's fields; each becomes a column of _e_<entype>__<evname>" },
    },
    example: {
      ts: "2015-01-01T00:31:32Z",
      entype: "user",
      evname: "pass_mission",
      body: { level: 7, mission_name: "caverns", is_premium: false },
    },
  };
  return {
    openapi: "3.1.0",
    info: {
      title: "schematizer event-sink",
      version: "1",
      description:
        `Accepts JSON events for an app. A bad request is refused whole and nothing of it is stored. ` +
        `Bodies up to ${maxBodyBytes} bytes after decompression and ${maxEvents} events; events up to ${maxEventBytes} bytes. ${EXACTLY_ONCE}`,
    },
    components: {
      securitySchemes: {
        writeKey: { type: "http", scheme: "bearer", description: "The app's write key" },
        trackingWriteKey: { type: "http", scheme: "basic", description: "The tracking API: the app's write key as user name, an empty password (or writeKey in the body)" },
      },
    },
    security: [{ writeKey: [] }],
    paths: {
      ...trackingPaths(error),
      "/v1/apps/{app}/events": {
        post: {
          summary: "Send events",
          description: EXACTLY_ONCE,
          parameters: [
            { name: "app", in: "path", required: true, schema: { type: "string", pattern: "^[a-z][a-z0-9_]{0,47}$" } },
            {
              name: "Idempotency-Key",
              in: "header",
              required: false,
              description:
                "Chosen by the client, unique per request, reused only to resend the same request (same events, same order). " +
                "Each event without an `id` gets the id `<Idempotency-Key>:<index>`, so a resent request stores nothing twice. An event's own `id` wins.",
              schema: { type: "string", pattern: `^[\\x21-\\x7e]{1,${MAX_IDEMPOTENCY_KEY_LENGTH}}$`, examples: ["orders-batch-2024-01-01-0007"] },
            },
          ],
          requestBody: {
            required: true,
            description: "One event, a JSON array of events, or NDJSON (one per line). Content-Encoding: gzip is accepted.",
            content: {
              "application/json": { schema: { oneOf: [event, { type: "array", items: event, minItems: 1 }] } },
              "application/x-ndjson": { schema: { type: "string", description: "one event per line" } },
            },
          },
          responses: {
            "202": {
              description: "Every event of the request is durably in Kafka (acks=all)",
              content: {
                "application/json": {
                  schema: {
                    type: "object",
                    properties: { accepted: { type: "integer" }, ids: { type: "array", items: { type: "string" } } },
                  },
                },
              },
            },
            "400": error("Malformed body, a bad Idempotency-Key, or invalid events (the first problems listed, all counted); nothing was accepted"),
            "401": error("No write key"),
            "403": error("The key does not write to this app, or the app is disabled"),
            "413": error(
              "The body, an event or the number of events is over its limit; nothing was accepted. " +
                "SINK_RECORD_TOO_LARGE: Kafka refused events as too large for their topic (an operator's setting), part of the request may be stored",
            ),
            "415": error("Unsupported Content-Type or Content-Encoding"),
            "503": {
              ...error(
                "SINK_KAFKA_UNAVAILABLE: Kafka cannot take events now, or did not acknowledge in time; part of the request may be stored. " +
                  "SINK_REGISTRY_UNAVAILABLE: the write key cannot be checked (the registry database does not answer); nothing was stored. " +
                  "Resend the same request after Retry-After seconds, with the same ids or Idempotency-Key.",
              ),
              headers: { "Retry-After": { description: "Seconds to wait before resending", schema: { type: "integer" } } },
            },
          },
        },
      },
    },
  };
}
