import { test } from "@schematizer/testing";
import fc from "fast-check";
import type { Pool } from "pg";
import { describe, expect } from "vitest";
import { coerce, emptySchema, mergeSchema, observe, unmappedOf, type JsonObject, type JsonValue, type Row, type TableSchema } from "@schematizer/schema";
import { planPostgres } from "./postgres-ddl.ts";
import { insertRow, runPlan } from "./postgres-test-kit.ts";

const META = { id: "e1", receivedAt: 1_420_072_293_000_000 };

function schemaOf(table: string, bodies: JsonObject[], maxColumns = 1000): TableSchema {
  let schema = emptySchema(table, "postgres");
  for (const body of bodies) schema = mergeSchema(schema, observe(body), { maxColumns }).schema;
  return schema;
}

function coerced(schema: TableSchema, body: JsonObject, id = "e1", maxColumns = 1000): { row: Row; unmapped: number } {
  const { row, unmapped, refusal } = coerce(schema, { ts: 1_420_072_292_000_000, entype: "a", evname: "b", body }, { ...META, id }, { maxColumns });
  expect(refusal).toBeUndefined();
  return { row, unmapped };
}

async function run(pool: Pool, previous: TableSchema | null, next: TableSchema): Promise<void> {
  await runPlan(pool, planPostgres(previous, next));
}

const insert = insertRow;

async function count(pool: Pool, table: string): Promise<number> {
  const { rows } = await pool.query<{ n: string }>(`SELECT count(*) AS n FROM "${table}"`);
  return Number(rows[0]?.n);
}

/** A catalogue as public APIs serve it: maps keyed by numeric ids, several hundred objects. */
function catalogue(items: number): JsonObject {
  const byId: JsonObject = {};
  for (let i = 0; i < items; i++) {
    byId[String(1001 + i)] = {
      name: `Product ${i} ${"with a longer name".slice(0, i % 18)}`,
      price: 12.5 + i,
      stock: i % 7,
      tags: ["sale", `t${i % 5}`],
    };
  }
  return { store: "main", updated: "2024-05-01T10:00:00Z", items: byId };
}

describe("rows fit a Postgres page", () => {
  test("a catalogue of several hundred numeric-keyed objects loads as one row", async ({ db }) => {
    const body = catalogue(400);
    const schema = schemaOf("_e_shop__catalogue", [body]);
    expect(schema.columns.length).toBe(1000);
    await run(db.pool, null, schema);
    const { row, unmapped } = coerced(schema, body);
    expect(unmapped).toBeGreaterThan(0);
    expect(unmappedOf(schema, row).map((u) => u.reason)).toEqual(expect.arrayContaining(["row_too_wide", "column_cap"]));
    await insert(db.pool, schema, row);
    expect(await count(db.pool, schema.table)).toBe(1);
    // What the row holds, in columns and in _sz_unmapped, is the whole document.
    const { rows } = await db.pool.query<{ price: number; unmapped: { path: string[]; value: JsonValue }[] }>(
      `SELECT "items__1001__price" AS price, "_sz_unmapped" AS unmapped FROM "${schema.table}"`,
    );
    expect(rows[0]?.price).toBe(12.5);
    expect(rows[0]?.unmapped.find((u) => u.path.join(".") === "items.1400.stock")?.value).toBe(399 % 7);
  });

  test("a row at the width limit loads, one beyond it would not, and old rows still fit after every column became text", async ({ db }) => {
    // 23-byte texts are 24 bytes in line and too short to be moved out by TOAST: the tightest case.
    const text = (i: number) => `v${String(i).padStart(3, "0")}${"x".repeat(19)}`;
    const body = Object.fromEntries(Array.from({ length: 340 }, (_, i) => [`c${String(i).padStart(3, "0")}`, text(i)]));
    const schema = schemaOf("_e_a__b", [body]);
    await run(db.pool, null, schema);
    const { row, unmapped } = coerced(schema, body);
    expect(unmapped).toBe(15);
    await insert(db.pool, schema, row);

    // The same row with every value in its column is beyond Postgres' page.
    const full: Row = { version: row.version, values: schema.columns.map((c, i) => (i < 6 ? (row.values[i] ?? null) : (body[c.name] as string))) };
    full.values[0] = "e2";
    full.values[5] = null;
    await expect(insert(db.pool, schema, full)).rejects.toMatchObject({ code: "54000", message: expect.stringMatching(/^row is too big/) as unknown });

    // Fixed-width values are estimated as the text they may become: a table whose columns all
    // widened to text (where the loader writes an old row's cells as their text) still takes
    // rows of the first version.
    const typed: JsonObject = {};
    for (let i = 0; i < 480; i++) {
      const key = `f${String(i).padStart(4, "0")}`;
      typed[key] = [true, -9_007_199_254_740_991, -2.2250738585072014e-308, "2015-01-01T00:31:32.123456Z", "2020-02-29", 12345678901234567890123456789n][i % 6] as JsonValue;
    }
    const v1 = schemaOf("_e_a__typed", [typed]);
    await run(db.pool, null, v1);
    const old = coerced(v1, typed);
    expect(old.unmapped).toBeGreaterThan(0);
    await insert(db.pool, v1, old.row);
    const v2 = mergeSchema(v1, observe(Object.fromEntries(Object.keys(typed).map((k) => [k, "now text"])))).schema;
    expect(v2.columns.every((c) => c.name.startsWith("_sz_") || c.type === "varchar")).toBe(true);
    const widened: TableSchema = { ...v2, table: "_e_a__widened" };
    await run(db.pool, null, widened);
    await insert(db.pool, { ...v1, table: widened.table }, old.row);
    expect(await count(db.pool, widened.table)).toBe(1);
  });

  test("no generated row is refused by Postgres as too big", async ({ db }) => {
    // Mostly what TOAST cannot move (texts of at most 23 bytes, fixed-width values), some it can.
    const value = fc.oneof(
      { weight: 4, arbitrary: fc.string({ minLength: 12, maxLength: 23 }) },
      fc.string({ unit: "grapheme", maxLength: 8 }),
      fc.integer(),
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.boolean(),
      fc.constantFrom("2015-01-01T00:31:32Z", "0001-01-01", 12345678901234567890n, "x".repeat(3000)),
      fc.array(fc.integer(), { maxLength: 3 }),
    );
    const wideBody = fc
      .tuple(fc.array(value, { minLength: 350, maxLength: 900 }), fc.dictionary(fc.string({ minLength: 1, maxLength: 4 }), value, { maxKeys: 20 }))
      .map(([values, extra]): JsonObject => ({ ...extra, ...Object.fromEntries(values.map((v, i) => [`k${i}`, v])) }));
    let n = 0;
    await fc.assert(
      fc.asyncProperty(wideBody, async (body) => {
        const schema = schemaOf(`_e_gen__${n++}`, [body]);
        await run(db.pool, null, schema);
        await insert(db.pool, schema, coerced(schema, body).row);
        expect(await count(db.pool, schema.table)).toBe(1);
        await db.pool.query(`DROP TABLE "${schema.table}"`);
      }),
      { numRuns: 8, endOnFailure: true },
    );
  });
});
