/**
 * Every code the batcher gives an error, a rejected record or a row set aside, with whether trying
 * again can help and what it means: the one place an operator (and `batcher-codes.test.ts`) reads
 * them from. The codes a load fails with are libs/warehouse's `LOAD_CODES`, spread in here. No code
 * is written inline elsewhere; `batcherError` takes a `BatcherCode`.
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
import { LOAD_CODES, type CodeInfo } from "@schematizer/warehouse";

export type { CodeFate, CodeInfo } from "@schematizer/warehouse";

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

  // Stage 2: the load's own codes (libs/warehouse), then the loader's.
  ...LOAD_CODES,
  BATCHER_DIALECT_MISMATCH: { retriable: false, fate: "batch parked", meaning: "the batch's schema was made for the other warehouse dialect" },
  BATCHER_RETRIES_EXHAUSTED: {
    retriable: false,
    fate: "batch parked",
    meaning: "the load failed BATCHER_MAX_LOAD_FAILURES times while its dependencies answered; the reason holds the last error",
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
