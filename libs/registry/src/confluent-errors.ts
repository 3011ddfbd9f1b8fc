/**
 * The Confluent Schema Registry's error catalogue: each code with its HTTP status and
 * Confluent's `error_code`, so clients that branch on either behave as with Confluent.
 */
import { CodedError } from "@schematizer/errors";

export const CONFLUENT_ERRORS = {
  SUBJECT_NOT_FOUND: { status: 404, errorCode: 40401 },
  VERSION_NOT_FOUND: { status: 404, errorCode: 40402 },
  SCHEMA_NOT_FOUND: { status: 404, errorCode: 40403 },
  SUBJECT_CONFIG_NOT_FOUND: { status: 404, errorCode: 40408 },
  INCOMPATIBLE_SCHEMA: { status: 409, errorCode: 40901 },
  INVALID_SCHEMA: { status: 422, errorCode: 42201 },
  INVALID_VERSION: { status: 422, errorCode: 42202 },
  INVALID_COMPATIBILITY_LEVEL: { status: 422, errorCode: 42203 },
  BAD_REQUEST: { status: 400, errorCode: 400 },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, errorCode: 415 },
  STORE_ERROR: { status: 500, errorCode: 50001 },
  OPERATION_TIMED_OUT: { status: 500, errorCode: 50002 },
} as const;

export type ConfluentErrorCode = keyof typeof CONFLUENT_ERRORS;

/** The body of every error answer. */
export interface ConfluentErrorBody {
  error_code: number;
  message: string;
}

/**
 * An error that the API answers as Confluent would. None is retriable except the store's own:
 * the same request fails the same way.
 *
 * @example
 * ```ts
 * throw confluentError("SUBJECT_NOT_FOUND", `Subject '${subject}' not found.`);
 * ```
 */
export function confluentError(code: ConfluentErrorCode, message: string, context: Record<string, unknown> = {}): CodedError {
  return new CodedError(code, message, { retriable: CONFLUENT_ERRORS[code].status >= 500, context });
}

/**
 * The HTTP status and body for any error met while serving the API: catalogued errors as they
 * are, a retriable registry error (a lost race) as Confluent's timeout, fastify's own errors
 * (unsupported media type, unparsable JSON) with their status, anything else as a store error.
 *
 * @example
 * ```ts
 * toConfluentError(confluentError("SCHEMA_NOT_FOUND", "Schema 9 not found"));
 * // { status: 404, body: { error_code: 40403, message: "Schema 9 not found" } }
 * ```
 */
export function toConfluentError(error: unknown): { status: number; body: ConfluentErrorBody } {
  if (error instanceof CodedError && error.code in CONFLUENT_ERRORS) {
    const entry = CONFLUENT_ERRORS[error.code as ConfluentErrorCode];
    return { status: entry.status, body: { error_code: entry.errorCode, message: error.message } };
  }
  if (error instanceof CodedError && error.retriable) {
    return reply("OPERATION_TIMED_OUT", `Operation failed, try again: ${error.message}`);
  }
  const status = statusOf(error);
  if (status === 415) return reply("UNSUPPORTED_MEDIA_TYPE", messageOf(error, "Unsupported Media Type"));
  if (status !== undefined && status >= 400 && status < 500) {
    return { status, body: { error_code: status, message: messageOf(error, "Bad Request") } };
  }
  return reply("STORE_ERROR", "Error in the backend data store");
}

function reply(code: ConfluentErrorCode, message: string): { status: number; body: ConfluentErrorBody } {
  const entry = CONFLUENT_ERRORS[code];
  return { status: entry.status, body: { error_code: entry.errorCode, message } };
}

function statusOf(error: unknown): number | undefined {
  if (error === null || typeof error !== "object" || !("statusCode" in error)) return undefined;
  const status = (error as { statusCode: unknown }).statusCode;
  return typeof status === "number" ? status : undefined;
}

function messageOf(error: unknown, fallback: string): string {
  return error instanceof Error && error.message !== "" ? error.message : fallback;
}
