/**
 * Why a load failed, as a code of the catalogue (load-codes.ts): pure functions of the error.
 *
 * The base is the shared rule of `errorKind`: an error is the infrastructure's only when it says
 * so, and anything unknown is content, so no error nobody foresaw is retried for ever. On top of it
 * sits what the warehouses tell us: SQLSTATEs by class and state, Redshift's messages (Redshift
 * reports nearly everything as XX000, so its transient cases are known by their text), and the
 * codes of Redshift's load-error views.
 */
import { CodedError, errorKind } from "@schematizer/errors";
import { isLoadCode, LOAD_CODES, loadError, type CodeFate, type LoadCode } from "./load-codes.ts";

/** A load failure with its catalogue code. */
export type LoadError = CodedError & { readonly code: LoadCode };

/** What node-postgres puts on a server error, and the AWS SDK on its own. */
interface ErrorFields {
  readonly code?: unknown;
  readonly message?: unknown;
  readonly detail?: unknown;
  readonly hint?: unknown;
  readonly where?: unknown;
  readonly $metadata?: unknown;
  readonly $fault?: unknown;
}

/** Redshift's messages, checked in order on the message, detail and hint together. */
const REDSHIFT_TEXTS: readonly (readonly [RegExp, LoadCode])[] = [
  // ERROR: 1023 DETAIL: Serializable isolation violation on table … (concurrent loads of one table).
  [/serializable isolation violation/i, "BATCHER_WAREHOUSE_CONFLICT"],
  [/conflict with concurrent transaction/i, "BATCHER_WAREHOUSE_CONFLICT"],
  [/\bdisk full\b/i, "BATCHER_WAREHOUSE_BUSY"],
  // COPY's own S3 client: throttling and server failures pass, the rest is the batch's.
  [/S3ServiceException.*(SlowDown|reduce your request rate|Status 50\d|ServiceUnavailable|InternalError|RequestTimeout)/is, "BATCHER_STORAGE_UNAVAILABLE"],
  [/S3 Query Exception|S3CurlException|S3ServiceException.*(timed out|connection)/is, "BATCHER_STORAGE_UNAVAILABLE"],
  [/S3ServiceException.*(AccessDenied|Access Denied|Status 403)/is, "BATCHER_NOT_PERMITTED"],
  [/S3ServiceException.*(NoSuchKey|specified key does not exist|Status 404|NoSuchBucket)/is, "BATCHER_FILE_MISSING"],
  [/manifest file is not (in correct|valid)|gzip: (unexpected end|invalid|incorrect)/i, "BATCHER_FILE_CORRUPT"],
  // With MAXERROR on the COPY, a load that fails for its rows had more bad rows than allowed.
  [/Load into table '.*' failed|stl_load_errors|sys_load_error_detail/i, "BATCHER_TOO_MANY_BAD_ROWS"],
];

/** SQLSTATEs with a code of their own, before their class decides. */
const SQLSTATES: Readonly<Record<string, LoadCode>> = {
  "54000": "BATCHER_ROW_TOO_BIG", // row is too big; index row size exceeds maximum
  "54011": "BATCHER_TOO_MANY_COLUMNS",
  "22P04": "BATCHER_MALFORMED_ROW", // bad COPY file format: missing or extra data
  "42939": "BATCHER_RESERVED_NAME",
  "42P07": "BATCHER_DUPLICATE_NAME",
  "42703": "BATCHER_TABLE_MISMATCH",
  "42804": "BATCHER_TABLE_MISMATCH",
  "42P01": "BATCHER_TABLE_MISMATCH",
  "42501": "BATCHER_NOT_PERMITTED",
};

/** SQLSTATE classes. XX (internal error) is absent on purpose: it is not known to pass or to be the data's. */
const SQL_CLASSES: Readonly<Record<string, LoadCode>> = {
  "08": "BATCHER_WAREHOUSE_UNAVAILABLE",
  "57": "BATCHER_WAREHOUSE_UNAVAILABLE",
  "58": "BATCHER_WAREHOUSE_UNAVAILABLE",
  "53": "BATCHER_WAREHOUSE_BUSY",
  "40": "BATCHER_WAREHOUSE_CONFLICT",
  "55": "BATCHER_WAREHOUSE_CONFLICT",
  "22": "BATCHER_INVALID_VALUE",
  "23": "BATCHER_CONSTRAINT_VIOLATION",
  "54": "BATCHER_BAD_STATEMENT",
  "42": "BATCHER_BAD_STATEMENT",
};

/**
 * The catalogue code of a load failure, carried by a CodedError whose `retriable` the catalogue
 * sets; the original error is its cause and the SQLSTATE, if any, is in its context. A CodedError
 * with a load code is returned as it is.
 *
 * @example
 * ```ts
 * classifyLoadError(Object.assign(new Error("row is too big: size 15432, maximum size 8160"), { code: "54000" }));
 * // CodedError BATCHER_ROW_TOO_BIG, retriable: false
 * classifyLoadError(Object.assign(new Error("1023"), { code: "XX000", detail: "Serializable isolation violation on table - 100388" }));
 * // CodedError BATCHER_WAREHOUSE_CONFLICT, retriable: true
 * ```
 */
export function classifyLoadError(error: unknown): LoadError {
  if (error instanceof CodedError && isLoadCode(error.code)) return error as LoadError;
  const e = (typeof error === "object" && error !== null ? error : {}) as ErrorFields;
  const message = error instanceof Error ? error.message : typeof e.message === "string" ? e.message : String(error);
  const sqlstate = typeof e.code === "string" && /^[0-9A-Z]{5}$/.test(e.code) ? e.code : undefined;
  const text = [message, e.detail, e.hint].filter((t) => typeof t === "string").join("\n");
  const context = sqlstate === undefined ? {} : { sqlstate };
  const coded = (code: LoadCode) => loadError(code, message, { cause: error, context }) as LoadError;

  if (sqlstate === undefined || sqlstate.startsWith("XX")) {
    for (const [pattern, code] of REDSHIFT_TEXTS) if (pattern.test(text)) return coded(code);
  }
  if (sqlstate !== undefined) {
    if (sqlstate === "42701") return coded(/system column/i.test(message) ? "BATCHER_RESERVED_NAME" : "BATCHER_DUPLICATE_NAME");
    const code = SQLSTATES[sqlstate] ?? SQL_CLASSES[sqlstate.slice(0, 2)];
    if (code !== undefined) return coded(code);
  }
  if (errorKind(error) === "infrastructure") {
    return coded(e.$metadata !== undefined || e.$fault !== undefined ? "BATCHER_STORAGE_UNAVAILABLE" : "BATCHER_WAREHOUSE_UNAVAILABLE");
  }
  return coded("BATCHER_LOAD_FAILED");
}

/**
 * What becomes of a load that failed with this (classified) error.
 *
 * @example
 * ```ts
 * fateOf(classifyLoadError({ code: "22P02", message: "invalid input syntax for type bigint" })); // "row set aside"
 * ```
 */
export function fateOf(error: CodedError): CodeFate {
  if (isLoadCode(error.code)) return LOAD_CODES[error.code].fate;
  return error.retriable ? "retried" : "batch parked";
}

/**
 * The line of the COPY input a Postgres error names in its `where` ("COPY t, line 3, column x: …"),
 * or undefined. Postgres counts physical lines (a quoted newline starts one) and, for errors met
 * while flushing its multi-row insert buffer ("row is too big"), may name a later line than the
 * culprit's: callers confirm it.
 *
 * @example
 * ```ts
 * copyErrorLine({ where: 'COPY _e_user__login, line 3, column level: "x"' }); // 3
 * ```
 */
export function copyErrorLine(error: unknown): number | undefined {
  const where = (error as ErrorFields | null)?.where;
  if (typeof where !== "string") return undefined;
  const match = /^COPY [^\n]*?, line (\d+)/.exec(where);
  return match === null ? undefined : Number(match[1]);
}

/**
 * The code of one row of Redshift's load-error views (`error_code` of SYS_LOAD_ERROR_DETAIL,
 * `err_code` of STL_LOAD_ERRORS; see the load error reference).
 *
 * @example
 * ```ts
 * redshiftRowCode(1204); // "BATCHER_INVALID_VALUE" (input data exceeded the acceptable range)
 * ```
 */
export function redshiftRowCode(errorCode: number): LoadCode {
  if ([1200, 1201, 1202, 1203, 1211, 1214, 1216].includes(errorCode)) return "BATCHER_MALFORMED_ROW";
  if (errorCode === 1213 || errorCode === 1217) return "BATCHER_CONSTRAINT_VIOLATION";
  return "BATCHER_INVALID_VALUE";
}
