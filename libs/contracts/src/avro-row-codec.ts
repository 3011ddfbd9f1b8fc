/**
 * The typed rows on `sql.<app>`, written and read: Avro binary of the version's record schema
 * (`avroSchema`), alone or in the Confluent wire frame. The sqlizer writes them; the batcher, the
 * tests and any Kafka consumer read them back with the same version from the registry.
 *
 * Every long is written from a `number` or, beyond 2^53, a `bigint`, so year 9999 is exact; a
 * long read back is a `number` when it is safe, else a `bigint`.
 */
import type avsc from "avsc";
import type { CellValue, Row, TableSchema } from "@schematizer/schema";
import { avroSchema } from "./avro-row-schema.ts";
import { avroType } from "./avro-types.ts";
import { FRAME_HEADER_BYTES, writeFrameHeader } from "./confluent-frame.ts";

interface CompiledAvro {
  readonly type: avsc.Type;
  readonly names: readonly string[];
  readonly toRecord: (values: readonly CellValue[]) => unknown;
}

const cache = new WeakMap<TableSchema, CompiledAvro>();

function compile(schema: TableSchema): CompiledAvro {
  let compiled = cache.get(schema);
  if (compiled !== undefined) return compiled;
  const type = avroType(avroSchema(schema));
  const names = schema.columns.map((c) => c.name);
  // A record literal of fixed shape keeps avsc's generated writer on one hidden class.
  const body = names.map((name, i) => `${JSON.stringify(name)}: v[${i}]`).join(", ");
  const toRecord = new Function("v", `return { ${body} };`) as (values: readonly CellValue[]) => unknown;
  compiled = { type, names, toRecord };
  cache.set(schema, compiled);
  return compiled;
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
  const out = encodeAt(compile(schema), row, FRAME_HEADER_BYTES);
  writeFrameHeader(out, schemaId);
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
