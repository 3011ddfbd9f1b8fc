import avsc from "avsc";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { coerce, emptySchema, mergeSchema, observe, type JsonObject, type Row, type TableSchema } from "@schematizer/schema";
import { bodyArb, dialectArb } from "@schematizer/schema/test-arbitraries";
import { avroDecode, avroEncode, confluentEncode } from "./avro-row-codec.ts";
import { avroSchema } from "./avro-row-schema.ts";
import { confluentFrame } from "./confluent-frame.ts";

function schemaFor(dialect: "postgres" | "redshift", ...bodies: JsonObject[]): TableSchema {
  let schema = emptySchema("_e_user__pass_mission", dialect);
  for (const body of bodies) schema = mergeSchema(schema, observe(body)).schema;
  return schema;
}

function rowOf(schema: TableSchema, body: JsonObject, ts: number | bigint = 1_420_072_292_000_000): Row {
  return coerce(schema, { id: "e1", ts, entype: "user", evname: "pass_mission", body }, { id: "e1", receivedAt: 1 }).row;
}

describe("avroSchema", () => {
  it("is a record named after the table with nullable body fields and logical types", () => {
    const schema = schemaFor("postgres", { level: 7, "is premium": true, at: "2015-01-01T00:31:32Z", day: "2015-01-01", n: 1e20, big: 1n << 80n, tags: [1] });
    expect(avroSchema(schema)).toEqual({
      type: "record",
      name: "_e_user__pass_mission",
      namespace: "schematizer",
      fields: [
        { name: "_sz_id", type: "string" },
        { name: "_sz_ts", type: { type: "long", logicalType: "timestamp-micros" } },
        { name: "_sz_enid", type: ["null", "string"], default: null },
        { name: "_sz_received_at", type: { type: "long", logicalType: "timestamp-micros" } },
        { name: "_sz_version", type: "long" },
        { name: "_sz_unmapped", type: ["null", "string"], default: null },
        { name: "at", type: ["null", { type: "long", logicalType: "timestamp-micros" }], default: null, doc: "$.body.at" },
        { name: "big", type: ["null", { type: "bytes", logicalType: "decimal", precision: 38, scale: 0 }], default: null, doc: "$.body.big" },
        { name: "day", type: ["null", { type: "int", logicalType: "date" }], default: null, doc: "$.body.day" },
        { name: "is_premium", type: ["null", "boolean"], default: null, doc: '$.body["is premium"]' },
        { name: "level", type: ["null", "long"], default: null, doc: "$.body.level" },
        { name: "n", type: ["null", "double"], default: null, doc: "$.body.n" },
        { name: "tags", type: ["null", "string"], default: null, doc: "$.body.tags" },
      ],
    });
  });
});

describe("Avro encoding", () => {
  it("round-trips every row of every schema", () => {
    fc.assert(
      fc.property(dialectArb, fc.array(bodyArb, { maxLength: 2 }), bodyArb, (dialect, history, body) => {
        const schema = schemaFor(dialect, ...history, body);
        const row = rowOf(schema, body);
        expect(avroDecode(schema, avroEncode(schema, row))).toEqual(row);
      }),
      { numRuns: 200 },
    );
  });

  it("keeps timestamps beyond 2^53 microseconds and decimals of any sign exact", () => {
    const schema = schemaFor("postgres", { at: "2015-01-01T00:31:32Z", big: 1n << 80n });
    for (const [at, big] of [
      ["9999-12-31T23:59:59.999999Z", 99999999999999999999999999999999999999n],
      ["0001-01-01T00:00:00Z", -99999999999999999999999999999999999999n],
      ["1970-01-01T00:00:00Z", -9007199254740993n],
    ] as const) {
      const row = rowOf(schema, { at, big }, 253_402_300_799_999_999n);
      expect(avroDecode(schema, avroEncode(schema, row)).values).toEqual(row.values);
    }
  });

  it("writes decimals as minimal big-endian two's complement", () => {
    const schema = schemaFor("postgres", { d: 1n << 60n });
    const type = avsc.Type.forSchema(avroSchema(schema) as avsc.Schema);
    const bytesOf = (d: bigint): number[] => {
      const record = type.fromBuffer(avroEncode(schema, rowOf(schema, { d }))) as { d: Buffer };
      return [...record.d];
    };
    expect(bytesOf(9007199254740993n)).toEqual([0x20, 0, 0, 0, 0, 0, 1]);
    expect(bytesOf(-1n)).toEqual([0xff]);
    expect(bytesOf(128n)).toEqual([0x00, 0x80]);
    expect(bytesOf(-9007199254740993n)).toEqual([0xdf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
    expect(bytesOf(2n ** 63n)).toEqual([0x00, 0x80, 0, 0, 0, 0, 0, 0, 0]);
  });

  it("is standard Avro: a plain decoder reads the same record", () => {
    const schema = schemaFor("redshift", { level: 7, name: "é", at: "2015-01-01T00:31:32.5Z", ok: true, x: 1.5 });
    const row = rowOf(schema, { level: -7, name: "é", at: "2015-01-01T00:31:32.5Z", ok: true, x: 1.5, extra: 1 });
    const plain = avsc.Type.forSchema(avroSchema(schema) as avsc.Schema);
    expect(plain.fromBuffer(avroEncode(schema, row))).toMatchObject({
      _sz_id: "e1",
      _sz_ts: 1_420_072_292_000_000,
      _sz_version: 1,
      _sz_unmapped: '[{"path":["extra"],"reason":"no_column","value":1}]',
      at: 1_420_072_292_500_000,
      level: -7,
      name: "é",
      ok: true,
      x: 1.5,
    });
  });
});

describe("long fields", () => {
  it("read back exactly across every varint length", () => {
    const schema = schemaFor("postgres", { n: 1 });
    const values = [0, 1, -1, 63, -64, 64, 2 ** 24, -(2 ** 24), 2 ** 48 - 1, 2 ** 48, -(2 ** 48), 2 ** 52, 2 ** 52 + 1, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER];
    for (const n of values) {
      const row = rowOf(schema, { n });
      expect(avroDecode(schema, avroEncode(schema, row)).values).toEqual(row.values);
    }
    fc.assert(
      fc.property(fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }), (n) => {
        const row = rowOf(schema, { n });
        expect(avroDecode(schema, avroEncode(schema, row)).values).toEqual(row.values);
      }),
    );
  });
});

describe("string fields", () => {
  it("are standard Avro strings at every length and in every script", () => {
    const schema = schemaFor("postgres", { s: "x" });
    const plain = avsc.Type.forSchema(avroSchema(schema) as avsc.Schema);
    for (const s of ["", "a", "a".repeat(21), "a".repeat(22), "a".repeat(63), "a".repeat(64), "é", `${"a".repeat(20)}é`, "日本語", "😀", "x".repeat(70_000)]) {
      const row = rowOf(schema, { s });
      expect((plain.fromBuffer(avroEncode(schema, row)) as { s: string }).s).toBe(s);
    }
  });
});

describe("Confluent wire format", () => {
  it("prefixes the magic byte and the schema id", () => {
    const schema = schemaFor("postgres", { level: 7 });
    const row = rowOf(schema, { level: 7 });
    const message = confluentEncode(0x01020304, schema, row);
    expect([...message.subarray(0, 5)]).toEqual([0, 1, 2, 3, 4]);
    const frame = confluentFrame(message);
    expect(frame?.schemaId).toBe(0x01020304);
    expect(avroDecode(schema, frame!.payload)).toEqual(row);
    expect(Buffer.compare(Buffer.from(frame!.payload), avroEncode(schema, row))).toBe(0);
    expect(confluentFrame(Buffer.from([1, 0, 0, 0, 1]))).toBeUndefined();
  });
});
