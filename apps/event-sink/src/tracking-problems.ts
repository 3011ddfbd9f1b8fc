/**
 * What can be wrong with one message of the tracking API, by code. Each names, where there is
 * one, the reason Segment's own API gives for dropping such a message, so that a team moving
 * from it recognises them; here a bad message is not dropped but refuses its request (400), with
 * every problem listed like the native endpoint's. A message can also have the shared event
 * limits' problems: EVENT_TOO_LARGE (413) and EVENT_TOO_DEEP.
 */
import type { SchemaErrorCode } from "@schematizer/schema";

export const TRACKING_PROBLEMS = {
  TRACKING_NOT_OBJECT: { segment: undefined, description: "a message must be a JSON object" },
  TRACKING_TYPE_INVALID: {
    segment: undefined,
    description: "a batch message's type must be track, identify, page, screen, group or alias",
  },
  TRACKING_ID_REQUIRED: { segment: "no_user_anon_id", description: "a message needs a userId or an anonymousId" },
  TRACKING_ID_FORMAT: {
    segment: undefined,
    description: "userId, anonymousId, groupId and previousId are strings (or numbers) of at most 256 bytes, without NUL",
  },
  TRACKING_USER_ID_REQUIRED: { segment: undefined, description: "an alias needs the userId the previousId becomes" },
  TRACKING_PREVIOUS_ID_REQUIRED: { segment: undefined, description: "an alias needs a previousId" },
  TRACKING_GROUP_ID_REQUIRED: { segment: undefined, description: "a group call needs a groupId" },
  TRACKING_EVENT_REQUIRED: { segment: "event_not_defined", description: "a track call needs an event name" },
  TRACKING_EVENT_FORMAT: {
    segment: "event_not_string",
    description: "an event name is a string of at most 256 bytes, without control or invisible characters or surrounding whitespace",
  },
  TRACKING_FIELD_TYPE: {
    segment: "properties_not_object, traits_not_object, name_not_string, category_not_string",
    description: "properties, traits, context and integrations are objects; name and category are strings",
  },
  TRACKING_MESSAGE_ID_FORMAT: { segment: undefined, description: "a messageId is a non-empty string of at most 256 bytes, without NUL" },
  TRACKING_TIMESTAMP_FORMAT: {
    segment: undefined,
    description: "timestamp, originalTimestamp and sentAt are RFC 3339 date-times such as 2024-05-01T12:00:00.000Z",
  },
  TRACKING_TIMESTAMP_RANGE: { segment: undefined, description: "the event time, once corrected for clock skew, is outside years 0001-9999" },
  TRACKING_WRITE_KEY_MISMATCH: { segment: undefined, description: "a message's writeKey differs from the request's write key" },
  TRACKING_ENTITY_FORMAT: {
    segment: undefined,
    description: "integrations.schematizer.entype is a plain name and integrations.schematizer.enid a string, as in a native event",
  },
} as const;

export type TrackingProblemCode = keyof typeof TRACKING_PROBLEMS;

/** One problem of one message, located by a JSON path within the message (`$.userId`). */
export interface TrackingProblem {
  /** One of TRACKING_PROBLEMS, or a schema core code (EVENT_TOO_LARGE, EVENT_TOO_DEEP). */
  readonly code: TrackingProblemCode | SchemaErrorCode;
  readonly path: string;
  readonly message: string;
}

/**
 * A problem with its catalogued description, and a detail when one helps.
 *
 * @example
 * trackingProblem("TRACKING_ID_REQUIRED", "$"); // { code: "TRACKING_ID_REQUIRED", path: "$", message: "a message needs a userId or an anonymousId" }
 */
export function trackingProblem(code: TrackingProblemCode, path: string, detail?: string): TrackingProblem {
  const description = TRACKING_PROBLEMS[code].description;
  return { code, path, message: detail === undefined ? description : `${description}: ${detail}` };
}
