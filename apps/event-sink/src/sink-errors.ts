/** Every answer event-sink gives other than 202, by code: the status and what the client should do. */
export const SINK_ERRORS = {
  SINK_AUTH_MISSING: { status: 401, message: "send the app's write key as Authorization: Bearer <key>" },
  SINK_AUTH_DENIED: { status: 403, message: "this key does not write to this app" },
  SINK_APP_DISABLED: { status: 403, message: "this app is disabled" },
  SINK_WRITE_KEY_MISSING: {
    status: 401,
    message: "send the app's write key as the user name of HTTP Basic auth (with an empty password), or as writeKey in the body",
  },
  SINK_WRITE_KEY_UNKNOWN: { status: 403, message: "no app has this write key" },
  SINK_WRITE_KEY_CONFLICT: {
    status: 400,
    message: "the body's writeKey differs from the key in the Authorization header; nothing was accepted",
  },
  SINK_ORIGIN_DENIED: {
    status: 403,
    message: "this app does not accept events from pages of this origin; its operator allows origins with `franz apps origins`",
  },
  SINK_UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    message:
      "send application/json (one event or an array) or application/x-ndjson (one event per line); to the tracking API (/v1/track, …), application/json or text/plain",
  },
  SINK_UNSUPPORTED_ENCODING: { status: 415, message: "Content-Encoding must be gzip or identity" },
  SINK_BODY_TOO_LARGE: { status: 413, message: "the request body is larger than the limit" },
  SINK_EVENT_TOO_LARGE: { status: 413, message: "some events are larger than the per-event limit; nothing was accepted" },
  SINK_BAD_GZIP: { status: 400, message: "the body is not a complete gzip stream" },
  SINK_INVALID_UTF8: { status: 400, message: "the body is not valid UTF-8" },
  SINK_MALFORMED_BODY: { status: 400, message: "the body is not a JSON object or array of objects" },
  SINK_NO_EVENTS: { status: 400, message: "the request holds no events" },
  SINK_BAD_EVENTS: { status: 400, message: "some events are invalid; nothing was accepted: fix them and resend the request" },
  SINK_TOO_MANY_EVENTS: { status: 413, message: "the request holds more events than the limit; nothing was accepted: split it" },
  SINK_BAD_IDEMPOTENCY_KEY: { status: 400, message: "Idempotency-Key must be 1 to 200 visible ASCII characters" },
  SINK_BAD_REQUEST: { status: 400, message: "the request is malformed" },
  SINK_RECORD_TOO_LARGE: {
    status: 413,
    message:
      "Kafka refused events of this request as larger than their topic allows; part of the request may have been stored: resend smaller events (with their ids or the same Idempotency-Key), and tell the operator (franz apps repair-topics sizes the topics)",
  },
  SINK_KAFKA_UNAVAILABLE: {
    status: 503,
    message:
      "Kafka cannot take events now; part of the request may have been stored: resend it as it was after Retry-After seconds, with the same event ids or Idempotency-Key, and nothing is stored twice",
  },
  SINK_REGISTRY_UNAVAILABLE: {
    status: 503,
    message: "the write key cannot be checked now (the registry database does not answer); nothing was accepted: retry after Retry-After seconds",
  },
  SINK_NOT_FOUND: { status: 404, message: "no such route" },
  SINK_INTERNAL: { status: 500, message: "internal error" },
} as const;

export type SinkErrorCode = keyof typeof SINK_ERRORS;

/** One bad event of a request: its index in the request and each problem with its JSON path. */
export interface EventProblem {
  index: number;
  code: string;
  path: string;
  message: string;
}

/** The bad events of a request: the first problems, and how many there are in all. */
export interface ProblemReport {
  /** The first problems in request order, at most MAX_LISTED_PROBLEMS. */
  errors: EventProblem[];
  /** Events with at least one problem. */
  badEvents: number;
  /** Problems of every bad event; more than `errors` lists when the list was cut. */
  totalErrors: number;
}

/** The body of every non-202 answer. */
export interface SinkErrorBody extends Partial<ProblemReport> {
  code: SinkErrorCode;
  message: string;
}

/** A refusal on its way to becoming an HTTP answer. */
export class SinkError extends Error {
  readonly status: number;
  constructor(
    readonly code: SinkErrorCode,
    detail?: string,
    readonly problems?: ProblemReport,
  ) {
    super(detail ? `${SINK_ERRORS[code].message}: ${detail}` : SINK_ERRORS[code].message);
    this.status = SINK_ERRORS[code].status;
  }

  toBody(): SinkErrorBody {
    return this.problems ? { code: this.code, message: this.message, ...this.problems } : { code: this.code, message: this.message };
  }
}
