/**
 * Coded errors of the schematizer core.
 *
 * Every error here is a property of the input, so none is retriable: the same event fails the
 * same way on every attempt, and belongs in a 400 answer or a dead-letter queue, not in a retry.
 */

/** Every code the core can report, with what it means and the HTTP status a front door answers. */
export const SCHEMA_ERRORS = {
  EVENT_INVALID_JSON: { status: 400, description: "the event is not valid JSON" },
  EVENT_TOO_LARGE: { status: 413, description: "the event is larger than the event size limit" },
  EVENT_TOO_DEEP: { status: 400, description: "the body nests objects or arrays deeper than the limit" },
  EVENT_ROW_TOO_LARGE: {
    status: 413,
    description: "the event's row cannot be stored in its warehouse, even with values set aside in _sz_unmapped",
  },
  ENVELOPE_NOT_OBJECT: { status: 400, description: "the event is not a JSON object" },
  ENVELOPE_FIELD_MISSING: { status: 400, description: "a required envelope field is absent" },
  ENVELOPE_FIELD_TYPE: { status: 400, description: "an envelope field has the wrong JSON type" },
  ENVELOPE_FIELD_EMPTY: { status: 400, description: "an envelope string is empty" },
  ENVELOPE_FIELD_FORMAT: { status: 400, description: "an envelope field is not in its required format" },
  ENVELOPE_FIELD_RANGE: { status: 400, description: "an envelope value is outside its allowed range" },
  ENVELOPE_FIELD_TOO_LONG: { status: 400, description: "an envelope string is longer than allowed" },
  ENVELOPE_UNKNOWN_FIELD: { status: 400, description: "a top-level field that is not part of the envelope" },
  TABLE_LIMIT_REACHED: { status: 422, description: "the app already has as many tables as allowed" },
} as const;

export type SchemaErrorCode = keyof typeof SCHEMA_ERRORS;

/** One problem with one input, located by a JSON path such as `$.body` or `$.ts`. */
export interface SchemaError {
  readonly code: SchemaErrorCode;
  /** JSON path of the offending value, `$` for the whole event. */
  readonly path: string;
  readonly message: string;
}

/** The outcome of a per-event step: a value, or every problem found. */
export type Result<T, E = SchemaError> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly errors: readonly E[] };

/** Builds a success. @example `ok(3)` → `{ ok: true, value: 3 }` */
export function ok<T>(value: T): { ok: true; value: T } {
  return { ok: true, value };
}

/** Builds a failure. @example `fail([{ code: "EVENT_TOO_LARGE", path: "$", message: "…" }])` */
export function fail(errors: readonly SchemaError[]): { ok: false; errors: readonly SchemaError[] } {
  return { ok: false, errors };
}

export function schemaError(code: SchemaErrorCode, path: string, message: string): SchemaError {
  return { code, path, message };
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/**
 * Appends one key to a JSON path, in dot form when it can be read back unambiguously.
 *
 * @example
 * ```ts
 * jsonPath("$.body", "level");   // "$.body.level"
 * jsonPath("$.body", "a.b");     // '$.body["a.b"]'
 * ```
 */
export function jsonPath(parent: string, key: string): string {
  return IDENTIFIER.test(key) ? `${parent}.${key}` : `${parent}[${JSON.stringify(key)}]`;
}

/** A JSON path for a body path given as keys. @example `bodyPath(["a", "b"])` → `"$.body.a.b"` */
export function bodyPath(path: readonly string[]): string {
  let out = "$.body";
  for (const key of path) out = jsonPath(out, key);
  return out;
}
