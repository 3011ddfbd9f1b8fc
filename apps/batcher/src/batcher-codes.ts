/**
 * Every code the batcher gives an error, a rejected record or a row set aside, with whether trying
 * again can help and what it means: the one place an operator (and `batcher-codes.test.ts`) reads
 * them from. No code is written inline elsewhere; `batcherError` takes a `BatcherCode`.
 *
 * What a code's `fate` says happens:
 * - `retried`: a dependency is unreachable, overloaded or lost a race. The load is tried again with
 *   backoff; failures count against the batch only while the warehouse, the bucket and the control
 *   database answer a probe, up to BATCHER_MAX_LOAD_FAILURES (then BATCHER_RETRIES_EXHAUSTED).
 * - `row set aside`: the warehouse refused some rows of a file. Those rows are kept in the
 *   `set_aside_rows` ledger with the code and reason (`npm run batcher -- set-aside`), the rest of
 *   the file loads, and later batches of the table go on.
 * - `batch parked`: the file as a whole cannot load (gone from the bucket, the table refuses its
 *   columns). The batch waits in `batch_ledger` with its reason (`npm run batcher -- parked`) until
 *   an operator sends it back; later batches of the table go on.
 * - `record rejected`: stage 1 could not make a row of a Kafka record; its bytes are kept under
 *   `rejects/` and in `rejected_records`.
 * - `operator`: a command or the process itself.
 */
import { CodedError } from "@schematizer/errors";

/** What happens to whatever met an error of this code. */
export type CodeFate = "retried" | "row set aside" | "batch parked" | "record rejected" | "operator";

export interface CodeInfo {
  /** Whether the same operation can succeed when tried again. */
  readonly retriable: boolean;
  readonly fate: CodeFate;
  /** What it means and what an operator does about it. */
  readonly meaning: string;
}

export const BATCHER_CODES = {
  // Stage 1: records that are not rows.
  BATCHER_NOT_CONFLUENT: {
    retriable: false,
    fate: "record rejected",
    meaning: "the record's value is not in the Confluent wire format (magic byte 0, schema id): something other than the sqlizer wrote to sql.<app>",
  },
  BATCHER_UNKNOWN_SCHEMA: {
    retriable: false,
    fate: "record rejected",
    meaning: "the schema id of a record or a batch is not in the registry (a registry restored from an older backup); a batch with it is parked",
  },
  BATCHER_WRONG_APP: { retriable: false, fate: "record rejected", meaning: "the record's schema id belongs to another app than the topic's" },
  BATCHER_AVRO_DECODE: { retriable: false, fate: "record rejected", meaning: "the record's bytes are not a row of the schema version it names" },
  BATCHER_INVALID_UTF8: { retriable: false, fate: "record rejected", meaning: "text in the record is not valid UTF-8: it has no faithful CSV form" },
  BATCHER_SCHEMA_UNREADABLE: {
    retriable: false,
    fate: "record rejected",
    meaning: "the registry answers but reading the record's schema version fails every time; the record is kept rather than hold its partition",
  },
  BATCHER_STAGE_FAILED: {
    retriable: false,
    fate: "record rejected",
    meaning: "writing the record's file or ledger row failed every time, even alone, while S3 and the control database answered; the record is kept rather than hold its partition",
  },
  BATCHER_STOPPING: { retriable: false, fate: "operator", meaning: "the consumer is stopping: the fetched batch will be read again by whoever takes the partition" },

  // Stage 2: the dependency, not the batch (retried).
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

  // Stage 2: rows the warehouse refuses (set aside, the rest loads).
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

  // Stage 2: batches that cannot load (parked).
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
  BATCHER_DIALECT_MISMATCH: { retriable: false, fate: "batch parked", meaning: "the batch's schema was made for the other warehouse dialect" },
  BATCHER_RETRIES_EXHAUSTED: {
    retriable: false,
    fate: "batch parked",
    meaning: "the load failed BATCHER_MAX_LOAD_FAILURES times while its dependencies answered; the reason holds the last error",
  },
  BATCHER_LOAD_FAILED: {
    retriable: false,
    fate: "batch parked",
    meaning: "an error nobody classified; unknown errors are not retried, so no batch can be retried for ever",
  },

  // Operators and the process.
  BATCHER_BAD_COMMAND: { retriable: false, fate: "operator", meaning: "an operator command with arguments it cannot mean" },
  BATCHER_NO_LEDGER: { retriable: false, fate: "operator", meaning: "no ledger in the schema the command was pointed at (DATABASE_URL, BATCHER_SCHEMA)" },
  BATCHER_NO_STORE: { retriable: false, fate: "operator", meaning: "the command needs the bucket and was given none" },
  BATCHER_MIGRATION_FAILED: { retriable: true, fate: "operator", meaning: "the ledger's migrations failed at start; the process exits and is restarted" },
} as const satisfies Record<string, CodeInfo>;

export type BatcherCode = keyof typeof BATCHER_CODES;

/**
 * A coded error whose `retriable` comes from the catalogue.
 *
 * @example
 * ```ts
 * throw batcherError("BATCHER_FILE_MISSING", `batch file ${key} is not in the bucket`, { context: { key } });
 * ```
 */
export function batcherError(code: BatcherCode, message: string, options: { cause?: unknown; context?: Record<string, unknown> } = {}): CodedError {
  return new CodedError(code, message, { retriable: BATCHER_CODES[code].retriable, ...options });
}

/**
 * Whether a code is one of the catalogue's.
 *
 * @example
 * ```ts
 * isBatcherCode("BATCHER_ROW_TOO_BIG"); // true
 * ```
 */
export function isBatcherCode(code: string): code is BatcherCode {
  return Object.hasOwn(BATCHER_CODES, code);
}
