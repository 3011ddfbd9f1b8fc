/**
 * Avro for the typed rows on `sql.<app>`: one record schema per schema version, and the
 * Confluent wire format (magic byte 0, 4-byte big-endian schema id, Avro binary).
 *
 * Body fields are nullable unions with a null default. Timestamps are `long` timestamp-micros,
 * dates `int` date; every long is written from a `number` or, beyond 2^53, a `bigint`, so year
 * 9999 is exact. Decimal columns are `bytes` with the decimal logical type (precision 38, scale 0).
 */
import avsc from "avsc";
import type { CellValue, Row } from "./coerce.ts";
import { bodyPath } from "./errors.ts";
import { DECIMAL_DIGITS } from "./observe.ts";
import { isSystemName } from "./naming.ts";
import { NOT_NULL_SYSTEM_COLUMNS, type Column, type TableSchema } from "./schema.ts";

/** An Avro schema as JSON. */
export type AvroSchema = string | { readonly [key: string]: AvroSchemaJson } | readonly AvroSchema[];
type AvroSchemaJson = string | number | boolean | null | readonly AvroSchemaJson[] | { readonly [key: string]: AvroSchemaJson };

/** Namespace of every record schema. */
export const AVRO_NAMESPACE = "schematizer";

const TIMESTAMP_MICROS = { type: "long", logicalType: "timestamp-micros" } as const;
const DATE = { type: "int", logicalType: "date" } as const;
const DECIMAL = { type: "bytes", logicalType: "decimal", precision: DECIMAL_DIGITS, scale: 0 } as const;

function fieldType(column: Column): AvroSchema {
  switch (column.type) {
    case "boolean":
      return "boolean";
    case "bigint":
      return "long";
    case "double":
      return "double";
    case "decimal":
      return DECIMAL;
    case "varchar":
    case "json":
      return "string";
    case "timestamptz":
      return TIMESTAMP_MICROS;
    case "date":
      return DATE;
  }
}

/**
 * The Avro record schema of a version: a record named after the table, one field per column in
 * column order; the documentation of a body field lists its source paths.
 *
 * @example
 * ```ts
 * avroSchema(v1);
 * // { type: "record", name: "_e_user__pass_mission", namespace: "schematizer", fields: [
 * //   { name: "_sz_id", type: "string" }, …,
 * //   { name: "level", type: ["null", "long"], default: null, doc: "$.body.level" } ] }
 * ```
 */
export function avroSchema(schema: TableSchema): AvroSchema {
  const fields = schema.columns.map((column) => {
    const type = fieldType(column);
    if (NOT_NULL_SYSTEM_COLUMNS.has(column.name)) return { name: column.name, type };
    const field: Record<string, AvroSchemaJson> = { name: column.name, type: ["null", type], default: null };
    if (!isSystemName(column.name)) field.doc = column.sources.map(bodyPath).join(", ");
    return field;
  });
  return { type: "record", name: schema.table, namespace: AVRO_NAMESPACE, fields };
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const TWO_32 = 4_294_967_296;
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const varintScratch = Buffer.alloc(10);
/** VIEWS[n] is the first n bytes of the scratch buffer: returning one allocates nothing. */
const VIEWS = Array.from({ length: 11 }, (_, n) => varintScratch.subarray(0, n));

/**
 * Writes the zigzag varint of a 64-bit integer given as two unsigned 32-bit halves of its
 * zigzag form, and returns the bytes written.
 */
function writeVarint(hi: number, lo: number): Buffer {
  let n = 0;
  while (hi !== 0 || lo > 0x7f) {
    varintScratch[n++] = (lo & 0x7f) | 0x80;
    lo = ((lo >>> 7) | (hi << 25)) >>> 0;
    hi >>>= 7;
  }
  varintScratch[n++] = lo;
  return VIEWS[n] as Buffer;
}

function zigzagNumber(v: number): Buffer {
  // For v < 0 zigzag is 2(−v − 1) + 1; both halves stay exact for any safe integer.
  const u = v >= 0 ? v : -v - 1;
  const hi = Math.floor(u / TWO_32);
  const lo = u - hi * TWO_32;
  return writeVarint(((hi << 1) | (lo >>> 31)) >>> 0, ((lo << 1) | (v >= 0 ? 0 : 1)) >>> 0);
}

function zigzagBigInt(v: bigint): Buffer {
  const z = BigInt.asUintN(64, (v << 1n) ^ (v >> 63n));
  return writeVarint(Number(z >> 32n), Number(z & 0xffffffffn));
}

function readVarint(buf: Buffer): number | bigint {
  let z = 0n;
  for (let i = buf.length - 1; i >= 0; i--) z = (z << 7n) | BigInt((buf[i] as number) & 0x7f);
  const v = (z >> 1n) ^ -(z & 1n);
  return v >= -MAX_SAFE && v <= MAX_SAFE ? Number(v) : v;
}

/**
 * A long that takes any safe-integer `number` or int64 `bigint`, and reads back a `number` when
 * it is safe. avsc's own long refuses magnitudes beyond 2^52, and timestamps in microseconds
 * reach 2^58 by year 9999. It writes the varint itself, into a reused buffer.
 */
const EXACT_LONG = avsc.types.LongType.__with(
  {
    isValid: (v: unknown) =>
      typeof v === "number" ? Number.isSafeInteger(v) : typeof v === "bigint" && v >= INT64_MIN && v <= INT64_MAX,
    toBuffer: (v: number | bigint) => (typeof v === "number" ? zigzagNumber(v) : zigzagBigInt(v)),
    fromBuffer: readVarint,
    fromJSON: (v: number | string) => (typeof v === "number" ? v : BigInt(v)),
    toJSON: (v: number | bigint) => (typeof v === "number" ? v : v.toString()),
    compare: (a: number | bigint, b: number | bigint) => (a < b ? -1 : a > b ? 1 : 0),
  },
  true,
);

/** Decimal(38, 0) as Avro bytes: big-endian two's complement of the unscaled integer. */
class DecimalType extends avsc.types.LogicalType {
  override _fromValue(buf: Buffer): bigint {
    if (buf.length === 0) return 0n;
    let v = 0n;
    for (const byte of buf) v = (v << 8n) | BigInt(byte);
    return buf[0]! & 0x80 ? v - (1n << BigInt(buf.length * 8)) : v;
  }

  override _toValue(v: unknown): Buffer | undefined {
    if (typeof v !== "bigint") return undefined;
    let n = 1;
    while (v >= 1n << BigInt(8 * n - 1) || v < -(1n << BigInt(8 * n - 1))) n++;
    let twos = v < 0n ? v + (1n << BigInt(8 * n)) : v;
    const out = Buffer.alloc(n);
    for (let i = n - 1; i >= 0; i--) {
      out[i] = Number(twos & 0xffn);
      twos >>= 8n;
    }
    return out;
  }

  override _resolve(type: avsc.Type): ((v: Buffer) => bigint) | undefined {
    return avsc.Type.isType(type, "bytes", "logical:decimal") ? (v: Buffer) => this._fromValue(v) : undefined;
  }
}

interface CompiledAvro {
  readonly type: avsc.Type;
  readonly names: readonly string[];
  readonly toRecord: (values: readonly CellValue[]) => unknown;
}

const cache = new WeakMap<TableSchema, CompiledAvro>();

function compile(schema: TableSchema): CompiledAvro {
  let compiled = cache.get(schema);
  if (compiled !== undefined) return compiled;
  const type = avsc.Type.forSchema(avroSchema(schema) as avsc.Schema, {
    logicalTypes: { decimal: DecimalType },
    typeHook: (s: unknown) => (isLong(s) ? EXACT_LONG : undefined),
    wrapUnions: false,
  });
  const names = schema.columns.map((c) => c.name);
  // A record literal of fixed shape keeps avsc's generated writer on one hidden class.
  const body = names.map((name, i) => `${JSON.stringify(name)}: v[${i}]`).join(", ");
  const toRecord = new Function("v", `return { ${body} };`) as (values: readonly CellValue[]) => unknown;
  compiled = { type, names, toRecord };
  cache.set(schema, compiled);
  return compiled;
}

function isLong(s: unknown): boolean {
  if (s === "long") return true;
  return s !== null && typeof s === "object" && !Array.isArray(s) && (s as { type?: unknown }).type === "long";
}

let scratch = Buffer.allocUnsafe(64 * 1024);

/**
 * A row as Avro binary (no framing).
 *
 * @example
 * ```ts
 * const bytes = avroEncode(schema, row);
 * avroDecode(schema, bytes).values; // equal to row.values
 * ```
 */
export function avroEncode(schema: TableSchema, row: Row): Buffer {
  return encodeAt(compile(schema), row, 0);
}

/**
 * A row in the Confluent wire format: 0, the registry's schema id (4 bytes, big-endian), Avro.
 *
 * @example
 * ```ts
 * const message = confluentEncode(42, schema, row); // message[0] === 0, message.readUInt32BE(1) === 42
 * ```
 */
export function confluentEncode(schemaId: number, schema: TableSchema, row: Row): Buffer {
  const out = encodeAt(compile(schema), row, 5);
  out[0] = 0;
  out.writeUInt32BE(schemaId, 1);
  return out;
}

function encodeAt(compiled: CompiledAvro, row: Row, offset: number): Buffer {
  const record = compiled.toRecord(row.values);
  let end = compiled.type.encode(record, scratch, offset);
  while (end < 0) {
    // avsc reports the missing size as a negative end.
    scratch = Buffer.allocUnsafe(Math.max(scratch.length * 2, scratch.length - end));
    end = compiled.type.encode(record, scratch, offset);
  }
  const out = Buffer.allocUnsafe(end);
  scratch.copy(out, 0, 0, end);
  return out;
}

/**
 * Decodes Avro binary written by {@link avroEncode} with the same schema version.
 *
 * @example
 * ```ts
 * avroDecode(schema, avroEncode(schema, row)).values; // equal to row.values
 * ```
 */
export function avroDecode(schema: TableSchema, bytes: Uint8Array): Row {
  const compiled = compile(schema);
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const record = compiled.type.fromBuffer(buf) as Record<string, CellValue>;
  return { version: schema.version, values: compiled.names.map((name) => record[name] ?? null) };
}

/**
 * Splits a Confluent-framed message into its schema id and Avro payload, or `undefined` when
 * the magic byte is missing.
 *
 * @example
 * ```ts
 * confluentFrame(message); // { schemaId: 42, payload: <Buffer …> }
 * ```
 */
export function confluentFrame(message: Uint8Array): { schemaId: number; payload: Uint8Array } | undefined {
  if (message.length < 5 || message[0] !== 0) return undefined;
  const view = new DataView(message.buffer, message.byteOffset, message.byteLength);
  return { schemaId: view.getUint32(1), payload: message.subarray(5) };
}
