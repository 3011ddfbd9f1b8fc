import fc from "fast-check";
import { avroDecode, avroEncode } from "@schematizer/contracts";
import { emptySchema, type CellValue, type TableSchema } from "@schematizer/schema";
import { describe, expect, it } from "vitest";
import { transcoderFor } from "./avro-csv.ts";
import { ByteWriter } from "../byte-writer.ts";
import { CsvRowEncoder } from "./csv.ts";

const base = emptySchema("_e_user__all_types", "postgres");
const schema: TableSchema = {
  ...base,
  version: 3,
  columns: [
    ...base.columns,
    { name: "b", type: "boolean", sources: [["b"]] },
    { name: "n", type: "bigint", sources: [["n"]] },
    { name: "x", type: "double", sources: [["x"]] },
    { name: "d", type: "decimal", sources: [["d"]] },
    { name: "s", type: "varchar", sources: [["s"]] },
    { name: "j", type: "json", sources: [["j"]] },
    { name: "t", type: "timestamptz", sources: [["t"]] },
    { name: "day", type: "date", sources: [["day"]] },
  ],
};

const safe = (n: bigint): number | bigint => (n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n);
const micros = fc.bigInt({ min: -62_135_596_800_000_000n, max: 253_402_300_799_999_999n }).map(safe);
const text = fc.oneof(fc.string({ unit: "binary" }), fc.constantFrom("", "a,b", 'q"q', "line\nbreak", "\\.", "nul\u0000", "é😀", "\r"));
const jsonText = fc.oneof(fc.json(), fc.constantFrom('["\\u0000"]', '"\\ud800"', '["\\ud83d\\ude00"]', '{"a":"b\\"c"}'));
const nullable = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: null, freq: 4 });

const rowArb: fc.Arbitrary<CellValue[]> = fc.tuple(
  fc.string({ minLength: 1, maxLength: 20 }),
  micros,
  nullable(fc.string()),
  micros,
  fc.integer({ min: 1, max: 1000 }),
  nullable(jsonText),
  nullable(fc.boolean()),
  nullable(fc.maxSafeInteger()),
  nullable(fc.double({ noNaN: true, noDefaultInfinity: true })),
  nullable(fc.bigInt({ min: -(10n ** 38n) + 1n, max: 10n ** 38n - 1n })),
  nullable(text),
  nullable(jsonText),
  nullable(micros),
  nullable(fc.integer({ min: -719_162, max: 2_932_896 })),
);

function viaValues(payload: Buffer): { line: string; moved: number } {
  return new CsvRowEncoder(schema).encode(avroDecode(schema, payload).values);
}

describe("AvroCsvTranscoder", () => {
  it("writes exactly the CSV that decoding the row and encoding its values gives", () => {
    fc.assert(
      fc.property(fc.array(rowArb, { minLength: 1, maxLength: 5 }), (rows) => {
        const out = new ByteWriter(16);
        let expected = "";
        let movedExpected = 0;
        let movedActual = 0;
        for (const values of rows) {
          const payload = avroEncode(schema, { version: 3, values });
          const reference = viaValues(payload);
          expected += reference.line;
          movedExpected += reference.moved;
          const outcome = transcoderFor(schema).transcode(payload, out);
          expect(outcome.ok).toBe(true);
          if (outcome.ok) {
            movedActual += outcome.moved;
            expect(outcome.receivedAt).toBe(Number(values[3]));
          }
        }
        expect(out.view().toString("utf8")).toBe(expected);
        expect(movedActual).toBe(movedExpected);
      }),
      { numRuns: 1000 },
    );
  });

  it("rejects text that is not UTF-8, and bytes that are not a row, leaving the file as it was", () => {
    const values: CellValue[] = ["e1", 0, null, 0, 3, null, null, null, null, null, "abc", null, null, null];
    const payload = avroEncode(schema, { version: 3, values });
    const at = payload.indexOf(Buffer.from("abc"));
    const invalid = Buffer.from(payload);
    invalid[at + 1] = 0xff;
    const out = new ByteWriter();
    out.ascii("kept\n");
    expect(transcoderFor(schema).transcode(invalid, out)).toMatchObject({ ok: false, code: "BATCHER_INVALID_UTF8" });
    expect(transcoderFor(schema).transcode(payload.subarray(0, payload.length - 3), out)).toMatchObject({ ok: false, code: "BATCHER_AVRO_DECODE" });
    expect(transcoderFor(schema).transcode(Buffer.concat([payload, Buffer.from([0])]), out)).toMatchObject({ ok: false, code: "BATCHER_AVRO_DECODE" });
    expect(out.view().toString()).toBe("kept\n");
  });
});
