import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { coerce } from "./coerce.ts";
import type { Event } from "./envelope.ts";
import { parseJson, stringifyJson, type JsonObject, type JsonValue } from "./json.ts";
import { mergeSchema } from "./merge.ts";
import { observe } from "./observe.ts";
import { unmappedOf, type CellValue, type Row } from "./row.ts";
import { cellInlineBytes, ROW_LIMITS, SYSTEM_CELLS_BYTES, TUPLE_HEADER_BYTES } from "./row-limits.ts";
import { columnForPath, emptySchema, SYSTEM_COLUMN_COUNT, type TableSchema } from "./schema.ts";
import { bodyArb, dialectArb, leaves } from "./test-arbitraries.ts";
import { dateToMicros, parseDate, parseTimestamp } from "./time.ts";
import { typeCode, type ColumnType } from "./type-lattice.ts";

const META = { id: "e1", receivedAt: 1_420_072_293_000_000 };

function event(body: JsonObject): Event {
  return { id: "e1", ts: 1_420_072_292_000_000, entype: "user", evname: "pass_mission", enid: "u1", body };
}

function schemaFor(dialect: "postgres" | "redshift", ...bodies: JsonObject[]): TableSchema {
  let schema = emptySchema("_e_user__pass_mission", dialect);
  for (const body of bodies) schema = mergeSchema(schema, observe(body)).schema;
  return schema;
}

function cell(schema: TableSchema, row: Row, name: string): CellValue | undefined {
  return row.values[schema.columns.findIndex((c) => c.name === name)];
}

/** The cell a value must have become in a column of this type, or undefined if it cannot live there. */
function expectedCell(value: JsonValue, type: ColumnType): CellValue | undefined {
  switch (type) {
    case "bigint":
      return (value as number) + 0;
    case "boolean":
    case "double":
      return value as CellValue;
    case "decimal":
      return typeof value === "bigint" ? value : BigInt(value as number);
    case "varchar":
      if (typeof value === "string") return value;
      if (typeof value === "object") return stringifyJson(value);
      return typeof value === "boolean" ? String(value) : String(value);
    case "json":
      return stringifyJson(value);
    case "timestamptz":
      return parseTimestamp(value as string) ?? dateToMicros(parseDate(value as string) as number);
    case "date":
      return parseDate(value as string);
  }
}

describe("coerce", () => {
  it("places every value of a fitting body in its column, and the system columns first", () => {
    const body = { level: 7, user: { isPremium: true }, tags: ["a", 1], at: "2015-01-01T00:31:32Z", day: "2020-01-01", big: 12345678901234567890n };
    const schema = schemaFor("postgres", body);
    const { row, needsMerge, unmapped } = coerce(schema, event(body), META);
    expect(needsMerge).toBe(false);
    expect(unmapped).toBe(0);
    expect(Object.fromEntries(schema.columns.map((c, i) => [c.name, row.values[i]]))).toEqual({
      _sz_id: "e1",
      _sz_ts: 1_420_072_292_000_000,
      _sz_enid: "u1",
      _sz_received_at: 1_420_072_293_000_000,
      _sz_version: 1,
      _sz_unmapped: null,
      at: 1_420_072_292_000_000,
      big: 12345678901234567890n,
      day: 18_262,
      level: 7,
      tags: '["a",1]',
      user__is_premium: true,
    });
  });

  it("converts values into wider columns without loss", () => {
    const schema = schemaFor("postgres", { n: 1.5, s: "x", t: "2015-01-01T00:31:32Z", d: 1n << 70n }, { s: true });
    const { row } = coerce(schema, event({ n: 2, s: 12.5, t: "2015-01-02", d: 42 }), META);
    expect(cell(schema, row, "n")).toBe(2);
    expect(cell(schema, row, "s")).toBe("12.5");
    expect(cell(schema, row, "t")).toBe(1_420_156_800_000_000);
    expect(cell(schema, row, "d")).toBe(42n);
  });

  it("asks for a merge, and keeps the value in _sz_unmapped, when a column is missing or too narrow", () => {
    const schema = schemaFor("redshift", { level: 7, name: "a" });
    const result = coerce(schema, event({ level: 7.5, name: "x".repeat(300), extra: { deep: true } }), META);
    expect(result.needsMerge).toBe(true);
    expect(result.unmapped).toBe(3);
    expect(cell(schema, result.row, "level")).toBeNull();
    expect(unmappedOf(schema, result.row)).toEqual([
      { path: ["extra", "deep"], reason: "no_column", value: true },
      { path: ["level"], reason: "type_mismatch", value: 7.5 },
      { path: ["name"], reason: "too_long", value: "x".repeat(300) },
    ]);
  });

  it("keeps text over Redshift's VARCHAR maximum, and text no column can store, in _sz_unmapped without asking for a merge", () => {
    const long = "x".repeat(70_000);
    const schema = schemaFor("redshift", { bio: long, note: "a" });
    const result = coerce(schema, event({ bio: long, note: "a\u0000b" }), META);
    expect(result.needsMerge).toBe(false);
    // Redshift's _sz_unmapped is a VARCHAR(65535) too: this row cannot be stored there.
    expect(result.refusal).toMatchObject({ code: "EVENT_ROW_TOO_LARGE", path: "$.body" });
    expect(unmappedOf(schema, result.row)).toEqual([
      { path: ["bio"], reason: "too_long", value: long },
      { path: ["note"], reason: "invalid_text", value: "a\u0000b" },
    ]);
    const pg = schemaFor("postgres", { bio: long, list: ["\ud800"] });
    const pgResult = coerce(pg, event({ bio: long, list: ["\ud800"] }), META);
    expect(cell(pg, pgResult.row, "bio")).toBe(long);
    expect(pgResult.refusal).toBeUndefined();
    expect(unmappedOf(pg, pgResult.row)).toEqual([{ path: ["list"], reason: "invalid_text", value: ["\ud800"] }]);
  });

  it("keeps fields beyond the column cap in _sz_unmapped, with the reason", () => {
    const limits = { maxColumns: 7 };
    const schema = mergeSchema(emptySchema("_e_a__b", "postgres"), observe({ a: 1, b: 2 }), limits).schema;
    expect(schema.columns).toHaveLength(7);
    const result = coerce(schema, event({ a: 1, b: 2 }), META, limits);
    expect(result.needsMerge).toBe(false);
    expect(unmappedOf(schema, result.row)).toEqual([{ path: ["b"], reason: "column_cap", value: 2 }]);
    // A new spelling of an existing column can still be merged at the cap.
    expect(coerce(schema, event({ A: 5 }), META, limits).needsMerge).toBe(true);
  });

  it("resolves two spellings of one column in the same event by path order, whatever the key order", () => {
    const schema = schemaFor("postgres", { isPremium: true, is_premium: false });
    for (const body of [{ isPremium: true, is_premium: false }, { is_premium: false, isPremium: true }]) {
      const { row, needsMerge } = coerce(schema, event(body), META);
      expect(needsMerge).toBe(false);
      expect(cell(schema, row, "is_premium")).toBe(true);
      expect(unmappedOf(schema, row)).toEqual([{ path: ["is_premium"], reason: "name_collision", value: false }]);
    }
  });

  it("keeps exact integers beyond 2^53 exact in _sz_unmapped", () => {
    const schema = schemaFor("postgres", { n: 1 });
    const { row } = coerce(schema, event({ m: 18446744073709551615n }), META);
    expect(cell(schema, row, "_sz_unmapped")).toBe('[{"path":["m"],"reason":"no_column","value":18446744073709551615}]');
  });
});

/** Every leaf of the body is in its column or in _sz_unmapped, and _sz_unmapped holds nothing else. */
function expectEveryValueKept(schema: TableSchema, body: JsonObject, row: Row, unmapped: number): void {
  const lost = unmappedOf(schema, row);
  expect(lost).toHaveLength(unmapped);
  for (const leaf of leaves(body)) {
    const entry = lost.find((u) => JSON.stringify(u.path) === JSON.stringify(leaf.path));
    if (entry !== undefined) {
      expect(stringifyJson(entry.value)).toBe(stringifyJson(leaf.value));
      continue;
    }
    const column = columnForPath(schema, leaf.path);
    expect(column, JSON.stringify(leaf.path)).toBeDefined();
    const at = schema.columns.indexOf(column!);
    expect(row.values[at]).toEqual(expectedCell(leaf.value, column!.type));
  }
  for (const entry of lost) expect(leaves(body).some((l) => JSON.stringify(l.path) === JSON.stringify(entry.path))).toBe(true);
}

/** The row's in-line estimate on Postgres, computed from the exported per-cell bounds. */
function inlineEstimate(schema: TableSchema, row: Row): number {
  let bytes = TUPLE_HEADER_BYTES + SYSTEM_CELLS_BYTES;
  schema.columns.forEach((c, i) => {
    const value = row.values[i];
    if (i >= SYSTEM_COLUMN_COUNT && value !== null && value !== undefined) bytes += cellInlineBytes(typeCode(c.type), value);
  });
  return bytes;
}

const pad = (i: number) => String(i).padStart(3, "0");

describe("rows that fit their warehouse", () => {
  // 23 ASCII bytes: 24 in line, too short for TOAST to move. 600 of them are twice a page.
  const wide = Object.fromEntries(Array.from({ length: 600 }, (_, i) => [`c${pad(i)}`, `v${pad(i)}${"x".repeat(19)}`]));

  it("moves the cells of the columns added last to _sz_unmapped until a Postgres row fits its page", () => {
    const schema = schemaFor("postgres", wide);
    const result = coerce(schema, event(wide), META);
    expect(result.needsMerge).toBe(false);
    expect(result.refusal).toBeUndefined();
    const kept = schema.columns.slice(SYSTEM_COLUMN_COUNT).filter((c) => cell(schema, result.row, c.name) !== null);
    // (8160 − 224 − 126) / 24 cells, the first columns in table order.
    expect(kept.map((c) => c.name)).toEqual(Array.from({ length: 325 }, (_, i) => `c${pad(i)}`));
    expect(result.unmapped).toBe(275);
    expect(unmappedOf(schema, result.row)).toEqual(
      Array.from({ length: 275 }, (_, i) => ({ path: [`c${pad(i + 325)}`], reason: "row_too_wide", value: wide[`c${pad(i + 325)}`] })),
    );
    expect(inlineEstimate(schema, result.row)).toBeLessThanOrEqual(ROW_LIMITS.postgres.maxInlineBytes);
    // The same cells whatever the order of the body's keys.
    const reversed = Object.fromEntries(Object.entries(wide).reverse());
    expect(coerce(schema, event(reversed), META).row).toEqual(result.row);
  });

  it("moves the value a shared column held, with the path it came from", () => {
    const body: JsonObject = { ...wide, zzFlag: "a", zz_flag: "b" };
    const schema = schemaFor("postgres", body);
    const { row } = coerce(schema, event(body), META);
    expect(cell(schema, row, "zz_flag")).toBeNull();
    expect(unmappedOf(schema, row).filter((u) => u.path[0]!.startsWith("zz"))).toEqual([
      { path: ["zzFlag"], reason: "row_too_wide", value: "a" },
      { path: ["zz_flag"], reason: "name_collision", value: "b" },
    ]);
  });

  it("leaves a Redshift row whole: columns are stored apart there", () => {
    const schema = schemaFor("redshift", wide);
    const result = coerce(schema, event(wide), META);
    expect(result.unmapped).toBe(0);
    expect(result.refusal).toBeUndefined();
  });

  it("refuses, with a code, a Redshift row whose _sz_unmapped outgrows its VARCHAR", () => {
    const schema = schemaFor("redshift", { a: 1 });
    const body = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`k${i}`, "é".repeat(1000)]));
    const result = coerce(schema, event(body), META);
    expect(result.refusal).toEqual({
      code: "EVENT_ROW_TOO_LARGE",
      path: "$.body",
      message: expect.stringMatching(/^the values that fit no column take \d+ bytes in _sz_unmapped, which holds 65535$/) as unknown,
    });
    // A merge gives them columns, and the row fits.
    const merged = mergeSchema(schema, observe(body)).schema;
    expect(coerce(merged, event(body), META).refusal).toBeUndefined();
  });

  it("keeps every Postgres row within its page, and every value in its column or in _sz_unmapped", () => {
    const value = fc.oneof(
      fc.string({ maxLength: 30 }),
      fc.string({ unit: "grapheme", maxLength: 10 }),
      fc.integer(),
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.boolean(),
      fc.constantFrom(12345678901234567890n, "2015-01-01T00:31:32Z", "2020-01-01"),
      fc.array(fc.integer(), { maxLength: 2 }),
    );
    // Hundreds of distinct keys, some nested or spelled two ways, beside a few random ones.
    const wideBody = fc
      .tuple(fc.array(value, { minLength: 380, maxLength: 700 }), fc.dictionary(fc.string({ minLength: 1, maxLength: 4 }), value, { maxKeys: 20 }))
      .map(([values, extra]): JsonObject => {
        const body: JsonObject = { ...extra, nested: {} };
        values.forEach((v, i) => {
          if (i % 50 === 0) (body.nested as JsonObject)[`n${i}`] = v;
          else body[i % 97 === 0 ? `kK${i}` : `k_k${i}`] = v;
        });
        return body;
      });
    fc.assert(
      fc.property(wideBody, (body) => {
        const schema = schemaFor("postgres", body);
        const { row, unmapped, refusal } = coerce(schema, event(body), META);
        expect(refusal).toBeUndefined();
        expect(inlineEstimate(schema, row)).toBeLessThanOrEqual(ROW_LIMITS.postgres.maxInlineBytes);
        expectEveryValueKept(schema, body, row, unmapped);
      }),
      // Shrinking bodies of hundreds of keys takes minutes: report the first failure as it is.
      { numRuns: 15, endOnFailure: true },
    );
  });
});

describe("values at the edges", () => {
  it("a number beyond a double lands as the text of its literal, never as Infinity", () => {
    const parsed = parseJson('{"n": 1e400, "m": -1E+309, "k": 7}');
    const body = (parsed.ok ? parsed.value : {}) as JsonObject;
    const schema = schemaFor("postgres", body);
    expect(schema.columns.filter((c) => ["n", "m"].includes(c.name)).map((c) => c.type)).toEqual(["varchar", "varchar"]);
    const { row } = coerce(schema, event(body), META);
    expect([cell(schema, row, "n"), cell(schema, row, "m"), cell(schema, row, "k")]).toEqual(["1e400", "-1E+309", 7]);
  });

  it("an instant beyond years 0001-9999 once its offset is applied stays text", () => {
    const schema = schemaFor("postgres", { at: "2015-01-01T00:31:32Z" });
    const edge = { at: "0001-01-01T00:00:00+01:00" };
    const first = coerce(schema, event(edge), META);
    expect(first.needsMerge).toBe(true);
    expect(unmappedOf(schema, first.row)).toEqual([{ path: ["at"], reason: "type_mismatch", value: edge.at }]);
    const widened = mergeSchema(schema, observe(edge)).schema;
    expect(columnForPath(widened, ["at"])?.type).toBe("varchar");
    expect(cell(widened, coerce(widened, event(edge), META).row, "at")).toBe(edge.at);
  });
});

describe("coerce properties", () => {
  it("every accepted value can be found again, in its column or in _sz_unmapped", () => {
    fc.assert(
      fc.property(dialectArb, fc.array(bodyArb, { maxLength: 3 }), bodyArb, fc.boolean(), (dialect, history, body, merged) => {
        const base = schemaFor(dialect, ...history);
        const schema = merged ? mergeSchema(base, observe(body)).schema : base;
        const { row, unmapped } = coerce(schema, event(body), META);
        expectEveryValueKept(schema, body, row, unmapped);
      }),
      { numRuns: 300 },
    );
  });

  it("a body fits exactly when merging it changes nothing", () => {
    fc.assert(
      fc.property(dialectArb, fc.array(bodyArb, { maxLength: 3 }), bodyArb, (dialect, history, body) => {
        const schema = schemaFor(dialect, ...history);
        const { needsMerge } = coerce(schema, event(body), META);
        const merged = mergeSchema(schema, observe(body));
        expect(needsMerge).toBe(merged.changed);
        expect(coerce(merged.schema, event(body), META).needsMerge).toBe(false);
      }),
      { numRuns: 300 },
    );
  });
});
