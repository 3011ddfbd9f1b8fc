import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { mergeSchema } from "./merge.ts";
import { isSystemName, isValidName } from "./naming.ts";
import { joinObserved, observe, type ObservedRow } from "./observe.ts";
import { emptySchema, type TableSchema } from "./schema.ts";
import { bodyArb, dialectArb } from "./test-arbitraries.ts";

const SYSTEM = ["_sz_id", "_sz_ts", "_sz_enid", "_sz_received_at", "_sz_version", "_sz_unmapped"];

function apply(schema: TableSchema, row: ObservedRow, maxColumns = 1000): TableSchema {
  return mergeSchema(schema, row, { maxColumns }).schema;
}

/** What the laws compare: the columns as a set (physical order depends on arrival order). */
function canonical(schema: TableSchema): unknown {
  return { table: schema.table, dialect: schema.dialect, columns: [...schema.columns].sort((a, b) => (a.name < b.name ? -1 : 1)) };
}

describe("mergeSchema", () => {
  const v0 = emptySchema("_e_user__pass_mission", "postgres");

  it("creates version 1 from the first row, new columns after the system columns in name order", () => {
    const result = mergeSchema(v0, observe({ level: 7, missionName: "caverns", isPremium: false }));
    expect(result.changed).toBe(true);
    expect(result.schema.version).toBe(1);
    expect(result.schema.columns.map((c) => [c.name, c.type])).toEqual([
      ...SYSTEM.map((n) => [n, expect.any(String) as unknown]),
      ["is_premium", "boolean"],
      ["level", "bigint"],
      ["mission_name", "varchar"],
    ]);
    expect(result.schema.columns.find((c) => c.name === "mission_name")?.sources).toEqual([["missionName"]]);
  });

  it("creates version 1 even from an empty body, so the table exists", () => {
    const result = mergeSchema(v0, observe({}));
    expect(result.changed && result.schema.version).toBe(1);
  });

  it("widens types, adds columns at the end, and reports the diff", () => {
    const v1 = apply(v0, observe({ level: 7, name: "a" }));
    const result = mergeSchema(v1, observe({ level: 7.5, score: 1, name: "b" }));
    expect(result.changed).toBe(true);
    if (!result.changed) return;
    expect(result.schema.version).toBe(2);
    expect(result.schema.columns.map((c) => `${c.name}:${c.type}`).slice(SYSTEM.length)).toEqual(["level:double", "name:varchar", "score:bigint"]);
    expect(result.diff).toEqual({
      added: [{ name: "score", type: "bigint", sources: [["score"]] }],
      widened: [{ name: "level", from: { type: "bigint" }, to: { type: "double" } }],
      sourcesAdded: [],
    });
  });

  it("is unchanged when the row fits", () => {
    const v1 = apply(v0, observe({ level: 7.5, name: "a", at: "2015-01-01T00:31:32Z" }));
    const result = mergeSchema(v1, observe({ level: 3, name: "b", at: "2015-01-02" }));
    expect(result).toEqual({ changed: false, schema: v1, diff: { added: [], widened: [], sourcesAdded: [] } });
  });

  it("records a new spelling of an existing column as another source, and joins its type", () => {
    const v1 = apply(v0, observe({ is_premium: true }));
    const result = mergeSchema(v1, observe({ isPremium: 1 }));
    expect(result.changed && result.diff.sourcesAdded).toEqual([{ name: "is_premium", path: ["isPremium"] }]);
    expect(result.schema.columns.at(-1)).toEqual({ name: "is_premium", type: "varchar", sources: [["isPremium"], ["is_premium"]] });
  });

  it("grows Redshift VARCHAR sizes and keeps Postgres text unsized", () => {
    const rs = apply(apply(emptySchema("_e_a__b", "redshift"), observe({ s: "x" })), observe({ s: "x".repeat(2000) }));
    expect(rs.columns.at(-1)).toEqual({ name: "s", type: "varchar", maxBytes: 4096, sources: [["s"]] });
    const pg = apply(apply(v0, observe({ s: "x" })), observe({ s: "x".repeat(2000) }));
    expect(pg.columns.at(-1)).toEqual({ name: "s", type: "varchar", sources: [["s"]] });
  });

  it("stops adding columns at the cap, admitting new names in name order", () => {
    const capped = apply(v0, observe({ c: 1, a: 1, b: 1 }), SYSTEM.length + 2);
    expect(capped.columns.map((c) => c.name).slice(SYSTEM.length)).toEqual(["a", "b"]);
    const result = mergeSchema(capped, observe({ d: 1, a: 1.5 }), { maxColumns: SYSTEM.length + 2 });
    expect(result.changed && result.diff).toEqual({
      added: [],
      widened: [{ name: "a", from: { type: "bigint" }, to: { type: "double" } }],
      sourcesAdded: [],
    });
  });
});

describe("merge laws (below the column cap)", () => {
  const start = fc.tuple(dialectArb, fc.option(bodyArb, { nil: undefined })).map(([dialect, seed]) => {
    const v0 = emptySchema("_e_t__e", dialect);
    return seed === undefined ? v0 : apply(v0, observe(seed));
  });

  it("is commutative: two rows in either order give the same columns", () => {
    fc.assert(
      fc.property(start, bodyArb, bodyArb, (s, x, y) => {
        const [a, b] = [observe(x), observe(y)];
        expect(canonical(apply(apply(s, a), b))).toEqual(canonical(apply(apply(s, b), a)));
      }),
    );
  });

  it("is associative: grouping rows differently gives the same columns", () => {
    fc.assert(
      fc.property(start, bodyArb, bodyArb, bodyArb, (s, x, y, z) => {
        const [a, b, c] = [observe(x), observe(y), observe(z)];
        const oneByOne = canonical(apply(apply(apply(s, a), b), c));
        expect(canonical(apply(apply(s, joinObserved(a, b)), c))).toEqual(oneByOne);
        expect(canonical(apply(s, joinObserved(a, joinObserved(b, c))))).toEqual(oneByOne);
      }),
    );
  });

  it("is idempotent: merging a row already merged changes nothing", () => {
    fc.assert(
      fc.property(start, bodyArb, (s, x) => {
        const once = apply(s, observe(x));
        expect(mergeSchema(once, observe(x)).changed).toBe(false);
        expect(mergeSchema(once, joinObserved(observe(x), observe(x))).changed).toBe(false);
      }),
    );
  });

  it("never moves existing columns, and orders one version's new columns independently of key order", () => {
    fc.assert(
      fc.property(start, bodyArb, (s, x) => {
        const next = apply(s, observe(x));
        expect(next.columns.slice(0, s.columns.length).map((c) => c.name)).toEqual(s.columns.map((c) => c.name));
        const reversed = Object.fromEntries(Object.entries(x).reverse());
        expect(apply(s, observe(reversed))).toEqual(next);
      }),
    );
  });

  it("gives every column a valid, unique name within the limit, none of them a system name", () => {
    fc.assert(
      fc.property(start, bodyArb, bodyArb, (s, x, y) => {
        const schema = apply(apply(s, observe(x)), observe(y));
        const names = schema.columns.map((c) => c.name);
        expect(new Set(names).size).toBe(names.length);
        for (const column of schema.columns) {
          expect(isValidName(column.name, schema.dialect)).toBe(true);
          expect(isSystemName(column.name)).toBe(column.sources.length === 0);
        }
      }),
    );
  });
});
