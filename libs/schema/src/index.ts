/**
 * @schematizer/schema — the pure schematizer core: from one event to a typed row, and from
 * schema versions to DDL. No I/O.
 *
 * Per event (the sqlizer's hot path):
 *   parseEvent → tableName → coerce against the current version → if `needsMerge`:
 *   observe + mergeSchema (under the registry's optimistic concurrency), coerce again →
 *   confluentEncode.
 * Per version (the loader): planDdl, avroSchema.
 */
export { SCHEMA_ERRORS, bodyPath, jsonPath } from "./errors.ts";
export type { Result, SchemaError, SchemaErrorCode } from "./errors.ts";

export { mayHoldBigIntegers, mayHoldHugeExponents, parseJson, stringifyJson } from "./json.ts";
export type { JsonObject, JsonParseResult, JsonValue } from "./json.ts";

export {
  dateToMicros,
  formatDate,
  formatTimestamp,
  isTimestampOutOfRange,
  millisToMicros,
  parseDate,
  parseTimestamp,
} from "./time.ts";
export type { EpochMicros } from "./time.ts";

export { isPlainName, isStorableText, nameProblem } from "./text.ts";

export {
  COLUMN_TYPES,
  REDSHIFT_VARCHAR_MAX,
  VARCHAR_SIZES,
  isWithin,
  joinSized,
  joinTypes,
  varcharSize,
} from "./type-lattice.ts";
export type { ColumnType, SizedType } from "./type-lattice.ts";

export {
  NAME_LIMITS,
  RESERVED_COLUMN_NAMES,
  SYSTEM_PREFIX,
  cachedTableName,
  columnName,
  isSystemName,
  isValidName,
  normalizeSegment,
  tableName,
} from "./naming.ts";
export type { Dialect } from "./naming.ts";

export { SYSTEM_COLUMNS, columnForPath, emptySchema, fingerprint } from "./schema.ts";
export type { Column, TableSchema } from "./schema.ts";

export { DEFAULT_LIMITS, checkEventSize, checkTableCount, resolveLimits } from "./limits.ts";
export type { Limits } from "./limits.ts";

export { ROW_LIMITS } from "./row-limits.ts";
export type { RowLimits } from "./row-limits.ts";

export { checkEvent, parseEvent, validateEnvelope } from "./envelope.ts";
export type { Event } from "./envelope.ts";

export { inferType, joinObserved, observe } from "./observe.ts";
export type { ObservedField, ObservedRow } from "./observe.ts";

export { mergeSchema } from "./merge.ts";
export type { MergeResult, SchemaDiff } from "./merge.ts";

export { coerce, unmappedOf } from "./coerce.ts";
export type { CellValue, CoerceResult, Row, RowMeta, UnmappedReason, UnmappedValue } from "./coerce.ts";

export { cellText } from "./warehouse-text.ts";

export { DUPLICATE_COLUMN, quoteIdent } from "./ddl.ts";
export type { DdlOptions, DdlStatement } from "./ddl.ts";
export { planPostgres } from "./ddl-postgres.ts";
export { planRedshift } from "./ddl-redshift.ts";
export { planDdl } from "./ddl-plan.ts";

export { AVRO_NAMESPACE, avroDecode, avroEncode, avroSchema, confluentEncode, confluentFrame } from "./avro.ts";
export type { AvroSchema } from "./avro.ts";
