/**
 * The codes a load can fail with, with whether trying again can help, what becomes of what met
 * it (`fate`) and what it means. They are the load's part of the batcher's catalogue
 * (apps/batcher/src/batcher-codes.ts spreads them in), so they keep the batcher's prefix: they
 * are stored with parked batches, counted in its metrics' `reason` labels and listed in the
 * README under that name.
 *
 * - `retried`: a dependency is unreachable, overloaded or lost a race; the load is tried again.
 * - `row set aside`: the warehouse refused some rows of a file; they are set aside and the rest of
 *   the file loads.
 * - `batch parked`: the file as a whole cannot load; it waits for an operator.
 */
import { CodedError } from "@schematizer/errors";

/** What happens to whatever met an error of a code. */
export type CodeFate = "retried" | "row set aside" | "batch parked" | "record rejected" | "operator";

export interface CodeInfo {
  /** Whether the same operation can succeed when tried again. */
  readonly retriable: boolean;
  readonly fate: CodeFate;
  /** What it means and what an operator does about it. */
  readonly meaning: string;
}

export const LOAD_CODES = {
  // The dependency, not the batch (retried).
  BATCHER_WAREHOUSE_UNAVAILABLE: {
    retriable: true,
    fate: "retried",
    meaning: "the warehouse cannot be reached or is shutting down (connection refused or lost, SQLSTATE classes 08, 57, 58)",
  },
  BATCHER_WAREHOUSE_BUSY: {
    retriable: true,
    fate: "retried",
    meaning: "the warehouse lacks resources now (disk full, out of memory, too many connections: SQLSTATE class 53, Redshift disk full)",
  },
  BATCHER_WAREHOUSE_CONFLICT: {
    retriable: true,
    fate: "retried",
    meaning: "the load lost a race with a concurrent transaction (serialization failure, deadlock, lock not available; Redshift 1023 serializable isolation violation)",
  },
  BATCHER_STORAGE_UNAVAILABLE: {
    retriable: true,
    fate: "retried",
    meaning: "the bucket throttled or failed a read during the load (S3 SlowDown, 500/503, timeouts), from the batcher or from Redshift's COPY",
  },
  BATCHER_LOAD_ERRORS_UNREPORTED: {
    retriable: true,
    fate: "retried",
    meaning: "Redshift skipped rows of a COPY but its load-error view does not list them all yet; the load is rolled back and tried again",
  },

  // Rows the warehouse refuses (set aside, the rest loads).
  BATCHER_ROW_TOO_BIG: {
    retriable: false,
    fate: "row set aside",
    meaning: "the row exceeds the warehouse's row size (Postgres: 8160 bytes in line, SQLSTATE 54000 'row is too big')",
  },
  BATCHER_INVALID_VALUE: {
    retriable: false,
    fate: "row set aside",
    meaning: "a value does not fit its column (out of range, bad syntax for the type, bad encoding: SQLSTATE class 22; Redshift load errors 1204-1210, 1215, 1218-1224)",
  },
  BATCHER_MALFORMED_ROW: {
    retriable: false,
    fate: "row set aside",
    meaning: "the row's CSV does not match the column list (missing or extra fields: SQLSTATE 22P04; Redshift 1201-1203, 1211, 1214, 1216)",
  },
  BATCHER_CONSTRAINT_VIOLATION: {
    retriable: false,
    fate: "row set aside",
    meaning: "the row breaks a constraint of the table (NOT NULL, CHECK, foreign key, exclusion: SQLSTATE class 23; Redshift 1213, 1217), typically one added by hand",
  },

  // Batches that cannot load (parked).
  BATCHER_TOO_MANY_BAD_ROWS: {
    retriable: false,
    fate: "batch parked",
    meaning: "more rows of one file were refused than BATCHER_MAX_SET_ASIDE_ROWS: the cause is the table, not a few rows; fix it and retry the batch",
  },
  BATCHER_FILE_MISSING: { retriable: false, fate: "batch parked", meaning: "the batch file is not in the bucket (deleted by a lifecycle rule or by hand)" },
  BATCHER_FILE_CORRUPT: { retriable: false, fate: "batch parked", meaning: "the batch file is not valid gzip, or Redshift cannot read it or its manifest" },
  BATCHER_ROW_COUNT_MISMATCH: { retriable: false, fate: "batch parked", meaning: "the file holds another number of rows than its ledger row says" },
  BATCHER_RESERVED_NAME: {
    retriable: false,
    fate: "batch parked",
    meaning: "a column name is one the warehouse reserves (Postgres system columns xmin, ctid…; Redshift's): the table cannot be created or altered",
  },
  BATCHER_DUPLICATE_NAME: { retriable: false, fate: "batch parked", meaning: "the table's DDL names a column or table twice (SQLSTATE 42701, 42P07)" },
  BATCHER_TOO_MANY_COLUMNS: { retriable: false, fate: "batch parked", meaning: "the table would exceed the warehouse's column limit (1600; SQLSTATE 54011)" },
  BATCHER_TABLE_MISMATCH: {
    retriable: false,
    fate: "batch parked",
    meaning: "the warehouse table does not have the columns or types the file needs (altered by hand: SQLSTATE 42703, 42804, 42P01)",
  },
  BATCHER_NOT_PERMITTED: {
    retriable: false,
    fate: "batch parked",
    meaning: "the warehouse user may not write the table, or Redshift may not read the bucket (SQLSTATE 42501; S3 AccessDenied): fix the grants, then retry",
  },
  BATCHER_BAD_STATEMENT: { retriable: false, fate: "batch parked", meaning: "the warehouse refused a statement the batcher wrote (other SQLSTATE class 42 errors)" },
  BATCHER_LOAD_FAILED: {
    retriable: false,
    fate: "batch parked",
    meaning: "an error nobody classified; unknown errors are not retried, so no batch can be retried for ever",
  },
} as const satisfies Record<string, CodeInfo>;

export type LoadCode = keyof typeof LOAD_CODES;

/**
 * A coded load error whose `retriable` comes from the catalogue.
 *
 * @example
 * ```ts
 * throw loadError("BATCHER_FILE_MISSING", `batch file ${key} is not in the bucket`, { context: { key } });
 * ```
 */
export function loadError(code: LoadCode, message: string, options: { cause?: unknown; context?: Record<string, unknown> } = {}): CodedError {
  return new CodedError(code, message, { retriable: LOAD_CODES[code].retriable, ...options });
}

/**
 * Whether a code is a load code.
 *
 * @example
 * ```ts
 * isLoadCode("BATCHER_ROW_TOO_BIG"); // true
 * ```
 */
export function isLoadCode(code: string): code is LoadCode {
  return Object.hasOwn(LOAD_CODES, code);
}
