import { SINK_ERRORS } from "./sink-errors.ts";

/** The public endpoint, described in OpenAPI 3.1 and served at /openapi.json. */
export function openApiDocument(maxBodyBytes: number, maxEventBytes: number) {
  const errorBody = {
    type: "object",
    required: ["code", "message"],
    properties: {
      code: { type: "string", enum: Object.keys(SINK_ERRORS) },
      message: { type: "string" },
      errors: {
        type: "array",
        description: "Every problem of every bad event, by the event's index in the request",
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
      id: { type: "string", maxLength: 256, description: "Idempotency key: a retried event with the same id is stored once. Generated when absent." },
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
      description: `Accepts JSON events for an app. A request is all or nothing. Bodies up to ${maxBodyBytes} bytes after decompression; events up to ${maxEventBytes} bytes.`,
    },
    components: { securitySchemes: { writeKey: { type: "http", scheme: "bearer", description: "The app's write key" } } },
    security: [{ writeKey: [] }],
    paths: {
      "/v1/apps/{app}/events": {
        post: {
          summary: "Send events",
          parameters: [{ name: "app", in: "path", required: true, schema: { type: "string", pattern: "^[a-z][a-z0-9_]{0,47}$" } }],
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
            "400": error("Malformed body or invalid events; nothing was accepted"),
            "401": error("No write key"),
            "403": error("The key does not write to this app, or the app is disabled"),
            "413": error("The body or an event is over its size limit; nothing was accepted"),
            "415": error("Unsupported Content-Type or Content-Encoding"),
            "503": error("Kafka cannot take events now; nothing is promised, retry after Retry-After seconds"),
          },
        },
      },
    },
  };
}
