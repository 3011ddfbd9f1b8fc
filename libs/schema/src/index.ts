/**
 * @schematizer/schema — the pure schematizer core: from one event to a typed row, and from
 * observed fields to schema versions. No I/O.
 *
 * Per event (the sqlizer's hot path):
 *   parseEvent → tableName → coerce against the current version → if `needsMerge`:
 *   observe + mergeSchema (under the registry's optimistic concurrency), coerce again; the row
 *   then goes on the wire with @schematizer/contracts' confluentEncode.
 * Per version: mergeSchema; the DDL that brings a warehouse table to a version is
 * @schematizer/warehouse's.
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
  isTextual,
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
  nameHash,
  normalizeSegment,
  tableName,
} from "./naming.ts";
export type { Dialect } from "./naming.ts";

export { NOT_NULL_SYSTEM_COLUMNS, SYSTEM_COLUMNS, columnForPath, emptySchema, fingerprint } from "./schema.ts";
export type { Column, TableSchema } from "./schema.ts";

export { DEFAULT_LIMITS, checkEventSize, checkTableCount, resolveLimits } from "./limits.ts";
export type { Limits } from "./limits.ts";

export { ROW_LIMITS } from "./row-limits.ts";
export type { RowLimits } from "./row-limits.ts";

export { checkEvent, parseEvent, validateEnvelope } from "./envelope.ts";
export type { Event } from "./envelope.ts";

export { DECIMAL_DIGITS, inferType, joinObserved, observe } from "./observe.ts";
export type { ObservedField, ObservedRow } from "./observe.ts";

export { mergeSchema } from "./merge.ts";
export type { MergeResult, SchemaDiff } from "./merge.ts";

export { coerce } from "./coerce.ts";
export type { CoerceResult } from "./coerce.ts";
export { unmappedOf } from "./row.ts";
export type { CellValue, Row, RowMeta, UnmappedReason, UnmappedValue } from "./row.ts";

export { cellText } from "./warehouse-text.ts";

