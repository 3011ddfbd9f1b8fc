/**
 * Why sqlizer sends an event to `dlq.<app>`: the codes it assigns itself. Events refused by the
 * envelope or its limits carry libs/schema's codes (EVENT_*, ENVELOPE_*), and the registry's
 * refusals its own (REGISTRY_*); every dead letter has exactly one code, in its `sz-error-code` header.
 */
import { CodedError, errorKind } from "@schematizer/errors";

/** Why an event cannot be placed: it goes to the dead-letter topic with this reason. */
export interface Rejection {
  kind: "reject";
  code: string;
  message: string;
  path?: string;
}

export const SQLIZER_ERRORS = {
  SQLIZER_EMPTY_MESSAGE: "the Kafka record has no value",
  SQLIZER_ROW_TOO_LARGE: "the event's typed row is larger than a sql.<app> record may be",
  SQLIZER_REGISTRY_REFUSED: "the registry's database refused what this event adds to its table's schema (the SQLSTATE is in the message)",
  SQLIZER_PRODUCE_REFUSED: "Kafka refused the event's row for a reason of its own (the broker's message is kept)",
  SQLIZER_UNEXPECTED_ERROR: "placing this event failed in a way nothing foresaw; the message says how",
} as const;

export type SqlizerErrorCode = keyof typeof SQLIZER_ERRORS;

/**
 * A rejection with one of sqlizer's own codes.
 *
 * @example
 * ```ts
 * rejection("SQLIZER_ROW_TOO_LARGE", "row of 3 MB; the limit is 2 MB");
 * ```
 */
export function rejection(code: SqlizerErrorCode, message: string): Rejection {
  return { kind: "reject", code, message };
}

/**
 * The dead-letter reason of an error that settled as the event's own (see `settle`): a coded error
 * keeps its code; a database error says the registry refused it, with its SQLSTATE; anything else is
 * unexpected, with its message.
 *
 * @example
 * ```ts
 * rejectionOf(Object.assign(new Error("unsupported Unicode escape sequence"), { code: "22P05" }));
 * // { kind: "reject", code: "SQLIZER_REGISTRY_REFUSED", message: "22P05: unsupported Unicode escape sequence" }
 * ```
 */
export function rejectionOf(error: unknown): Rejection {
  if (error instanceof CodedError) return { kind: "reject", code: error.code, message: error.message };
  const message = error instanceof Error ? error.message : String(error);
  const sqlstate = (error as { code?: unknown } | undefined)?.code;
  if (typeof sqlstate === "string" && /^[0-9A-Z]{5}$/.test(sqlstate)) return rejection("SQLIZER_REGISTRY_REFUSED", `${sqlstate}: ${message}`);
  // An infrastructure error lands here only after it repeated on this input while its dependency answered.
  const repeated = errorKind(error) === "infrastructure" ? " (repeated on this event while the registry answered)" : "";
  return rejection("SQLIZER_UNEXPECTED_ERROR", `${message}${repeated}`);
}

/**
 * Whether an error decides the fate of a whole table's events at once: the registry's own
 * refusals (an unknown app, a full app) do not depend on which events asked, so splitting the
 * group to find a culprit would only repeat them.
 */
export function refusesTheTable(error: unknown): boolean {
  return error instanceof CodedError && !error.retriable && error.code.startsWith("REGISTRY_");
}
