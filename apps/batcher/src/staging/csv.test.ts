import fc from "fast-check";
import { emptySchema, formatTimestamp, type CellValue, type TableSchema } from "@schematizer/schema";
import { describe, expect, it } from "vitest";
import { csvField, CsvRowEncoder, isStorable, timestampText } from "./csv.ts";

/** A small RFC 4180 reader with Postgres's NULL rule: an unquoted empty field is NULL. */
function parseCsv(text: string): (string | null)[][] {
  const rows: (string | null)[][] = [];
  let row: (string | null)[] = [];
  let i = 0;
  while (i < text.length) {
    let field: string | null;
    if (text[i] === '"') {
      let value = "";
      i++;
      for (;;) {
        const q = text.indexOf('"', i);
        if (q < 0) throw new Error("unterminated quote");
        value += text.slice(i, q);
        if (text[q + 1] === '"') {
          value += '"';
          i = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
      field = value;
    } else {
      let j = i;
      while (j < text.length && text[j] !== "," && text[j] !== "\n") j++;
      const raw = text.slice(i, j);
      if (raw.includes('"') || raw.includes("\r")) throw new Error(`bare special character in ${JSON.stringify(raw)}`);
      field = raw === "" ? null : raw;
      i = j;
    }
    row.push(field);
    if (text[i] === ",") {
      i++;
    } else if (text[i] === "\n") {
      rows.push(row);
      row = [];
      i++;
    } else if (i < text.length) {
      throw new Error(`unexpected ${JSON.stringify(text[i])} at ${i}`);
    }
  }
  if (row.length > 0) rows.push(row);
  return rows;
}

function schemaWith(columns: TableSchema["columns"]): TableSchema {
  const base = emptySchema("_e_user__test", "postgres");
  return { ...base, version: 1, columns: [...base.columns, ...columns] };
}

const systemCells = (id: string): CellValue[] => [id, 1_420_072_292_000_000, null, 1_420_072_292_123_456, 1, null];

describe("csvField", () => {
  it("keeps NULL and the empty string apart", () => {
    expect(csvField(null)).toBe("");
    expect(csvField("")).toBe('""');
  });

  it("quotes commas, quotes, line breaks and backslashes", () => {
    expect(csvField("a,b")).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField("two\nlines")).toBe('"two\nlines"');
    expect(csvField("cr\r")).toBe('"cr\r"');
    expect(csvField("\\.")).toBe('"\\."');
    expect(csvField("plain")).toBe("plain");
  });

  it("round-trips any string or NULL through an RFC 4180 reader", () => {
    fc.assert(
      fc.property(fc.array(fc.array(fc.option(fc.string({ unit: "binary" }), { nil: null }), { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 5 }), (rows) => {
        const text = rows.map((r) => `${r.map(csvField).join(",")}\n`).join("");
        expect(parseCsv(text)).toEqual(rows);
      }),
      { numRuns: 500 },
    );
  });
});

describe("timestampText", () => {
  it("matches libs/schema's formatting for every instant", () => {
    const instant = fc
      .bigInt({ min: -62_135_596_800_000_000n, max: 253_402_300_799_999_999n })
      .map((n) => (n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n));
    fc.assert(
      fc.property(instant, (micros) => {
        expect(timestampText(micros)).toBe(formatTimestamp(micros));
      }),
      { numRuns: 2000 },
    );
    expect(timestampText(0)).toBe("1970-01-01T00:00:00.000000Z");
    expect(timestampText(1_420_072_292_000_001)).toBe("2015-01-01T00:31:32.000001Z");
  });
});

describe("CsvRowEncoder", () => {
  const schema = schemaWith([
    { name: "level", type: "bigint", sources: [["level"]] },
    { name: "score", type: "double", sources: [["score"]] },
    { name: "name", type: "varchar", sources: [["name"]] },
    { name: "premium", type: "boolean", sources: [["premium"]] },
    { name: "day", type: "date", sources: [["day"]] },
    { name: "amount", type: "decimal", sources: [["amount"]] },
    { name: "tags", type: "json", sources: [["tags"]] },
  ]);
  const encoder = new CsvRowEncoder(schema);

  it("writes each type as the warehouse text of its value", () => {
    const { line, moved } = encoder.encode([...systemCells("e1"), 7, -0, "caverns, level 1", false, 18262, 12345678901234567890n, '["a"]']);
    expect(moved).toBe(0);
    expect(parseCsv(line)).toEqual([
      ["e1", "2015-01-01T00:31:32.000000Z", null, "2015-01-01T00:31:32.123456Z", "1", null, "7", "-0", "caverns, level 1", "false", "2020-01-01", "12345678901234567890", '["a"]'],
    ]);
  });

  it("round-trips any storable text, and moves text a warehouse cannot hold to _sz_unmapped", () => {
    fc.assert(
      fc.property(fc.option(fc.string({ unit: "binary" }), { nil: null }), (name) => {
        const { line, moved } = encoder.encode([...systemCells("e1"), null, null, name, null, null, null, null]);
        const [fields] = parseCsv(line);
        if (name === null || isStorable(name)) {
          expect(moved).toBe(0);
          expect(fields?.[8]).toBe(name);
          expect(fields?.[5]).toBeNull();
        } else {
          expect(moved).toBe(1);
          expect(fields?.[8]).toBeNull();
          expect(JSON.parse(fields?.[5] ?? "null")).toEqual([{ path: ["name"], reason: "invalid_text", value: name }]);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it("appends to entries already in _sz_unmapped", () => {
    const cells = [...systemCells("e1"), null, null, "a\u0000b", null, null, null, '["\\u0000"]'];
    cells[5] = '[{"path":["x"],"reason":"no_column","value":1}]';
    const { line, moved } = encoder.encode(cells);
    expect(moved).toBe(2);
    const [fields] = parseCsv(line);
    expect(JSON.parse(fields?.[5] ?? "null")).toEqual([
      { path: ["x"], reason: "no_column", value: 1 },
      { path: ["name"], reason: "invalid_text", value: "a\u0000b" },
      { path: ["tags"], reason: "invalid_text", value: '["\\u0000"]' },
    ]);
    expect(line).not.toContain("\u0000");
  });
});
