import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { coerce, unmappedOf, type CellValue, type Row } from "./coerce.ts";
import type { Event } from "./envelope.ts";
import { stringifyJson, type JsonObject, type JsonValue } from "./json.ts";
import { mergeSchema } from "./merge.ts";
import { observe } from "./observe.ts";
import { columnForPath, emptySchema, type TableSchema } from "./schema.ts";
import { bodyArb, dialectArb, leaves } from "./test-arbitraries.ts";
import { dateToMicros, parseDate, parseTimestamp } from "./time.ts";
import type { ColumnType } from "./type-lattice.ts";

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
    expect(unmappedOf(schema, result.row)).toEqual([
      { path: ["bio"], reason: "too_long", value: long },
      { path: ["note"], reason: "invalid_text", value: "a\u0000b" },
    ]);
    const pg = schemaFor("postgres", { bio: long, list: ["\ud800"] });
    const pgResult = coerce(pg, event({ bio: long, list: ["\ud800"] }), META);
    expect(cell(pg, pgResult.row, "bio")).toBe(long);
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

describe("coerce properties", () => {
  it("every accepted value can be found again, in its column or in _sz_unmapped", () => {
    fc.assert(
      fc.property(dialectArb, fc.array(bodyArb, { maxLength: 3 }), bodyArb, fc.boolean(), (dialect, history, body, merged) => {
        const base = schemaFor(dialect, ...history);
        const schema = merged ? mergeSchema(base, observe(body)).schema : base;
        const { row, unmapped } = coerce(schema, event(body), META);
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
        // Nothing in _sz_unmapped that the body did not hold.
        for (const entry of lost) expect(leaves(body).some((l) => JSON.stringify(l.path) === JSON.stringify(entry.path))).toBe(true);
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
