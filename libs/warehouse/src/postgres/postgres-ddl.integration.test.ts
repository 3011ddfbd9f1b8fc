import { test } from "@schematizer/testing";
import type { Pool, PoolClient } from "pg";
import { describe, expect } from "vitest";
import { coerce, emptySchema, joinObserved, mergeSchema, observe, parseTimestamp, type JsonObject, type TableSchema } from "@schematizer/schema";
import { planPostgres } from "./postgres-ddl.ts";
import { insertRow, runPlan } from "./postgres-test-kit.ts";

const TABLE = "_e_user__pass_mission";

const run = runPlan;

async function insert(pool: Pool, schema: TableSchema, id: string, body: JsonObject): Promise<void> {
  const { row } = coerce(schema, { id, ts: 1_420_072_292_000_000, entype: "user", evname: "pass_mission", body }, { id, receivedAt: 1_420_072_293_000_000 });
  await insertRow(pool, schema, row);
}

/** Every cell as text, read in UTC so instants print the same on every machine. */
async function dump(pool: Pool): Promise<Record<string, string | null>[]> {
  const client: PoolClient = await pool.connect();
  try {
    await client.query("SET TIME ZONE 'UTC'");
    const { rows } = await client.query<{ row: Record<string, string | null> }>(
      `SELECT (SELECT jsonb_object_agg(key, value) FROM jsonb_each_text(to_jsonb(t))) AS row FROM "${TABLE}" t ORDER BY "_sz_id"`,
    );
    return rows.map((r) => r.row);
  } finally {
    client.release();
  }
}

async function columnTypes(pool: Pool): Promise<Record<string, string>> {
  const { rows } = await pool.query<{ column_name: string; data_type: string }>(
    "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1",
    [TABLE],
  );
  return Object.fromEntries(rows.map((r) => [r.column_name, r.data_type]));
}

describe("Postgres DDL against a real Postgres", () => {
  test("widening a table with rows keeps every earlier value exactly, and re-running a plan changes nothing", async ({ db }) => {
    const first: JsonObject[] = [
      { n: 7, m: 9_007_199_254_740_991, big: 9_007_199_254_740_993n, flag: true, at: "2015-01-01T00:31:32.123456+02:00", day: "2020-02-29", tags: [1, "a"], name: "é" },
      { n: -9_007_199_254_740_991, m: -1, big: -(10n ** 37n), flag: false, at: "9999-12-31T23:59:59.999999Z", day: "0001-01-01", tags: [], name: "x" },
    ];
    const v1 = mergeSchema(emptySchema(TABLE, "postgres"), joinObserved(observe(first[0]!), observe(first[1]!))).schema;
    const create = planPostgres(null, v1);
    await run(db.pool, create);
    await insert(db.pool, v1, "a", first[0]!);
    await insert(db.pool, v1, "b", first[1]!);
    expect(await columnTypes(db.pool)).toMatchObject({
      n: "bigint",
      m: "bigint",
      big: "numeric",
      flag: "boolean",
      at: "timestamp with time zone",
      day: "date",
      tags: "jsonb",
      name: "text",
    });
    const before = await dump(db.pool);

    const second: JsonObject = { n: 0.5, m: "text", big: 1.5, flag: "yes", at: "soon", day: "2020-01-01T10:00:00Z", tags: "none", added: 1 };
    const v2 = mergeSchema(v1, observe(second)).schema;
    const widen = planPostgres(v1, v2);
    expect(widen.map((s) => s.sql.match(/ALTER COLUMN "(\w+)" TYPE ([\w ]+?) USING|ADD COLUMN IF NOT EXISTS "(\w+)"/)?.slice(1).filter(Boolean))).toEqual([
      ["at", "text"],
      ["big", "text"],
      ["day", "timestamp with time zone"],
      ["flag", "text"],
      ["m", "text"],
      ["n", "double precision"],
      ["tags", "text"],
      ["added"],
    ]);
    await run(db.pool, widen);
    await insert(db.pool, v2, "c", second);

    expect(await columnTypes(db.pool)).toMatchObject({
      n: "double precision",
      m: "text",
      big: "text",
      flag: "text",
      at: "text",
      day: "timestamp with time zone",
      tags: "text",
      added: "bigint",
    });
    const after = await dump(db.pool);
    const [a, b] = after;
    // Every earlier value is still there, exactly, in its wider type.
    expect(Number(a!.n)).toBe(7);
    expect(Number(b!.n)).toBe(-9_007_199_254_740_991);
    expect([a!.m, b!.m]).toEqual(["9007199254740991", "-1"]);
    expect([a!.big, b!.big]).toEqual(["9007199254740993", `-1${"0".repeat(37)}`]);
    expect([a!.flag, b!.flag]).toEqual(["true", "false"]);
    expect([a!.at, b!.at]).toEqual(["2014-12-31T22:31:32.123456Z", "9999-12-31T23:59:59.999999Z"]);
    expect(parseTimestamp(a!.at!)).toBe(parseTimestamp("2015-01-01T00:31:32.123456+02:00"));
    expect([a!.day, b!.day].map((t) => parseTimestamp(t!))).toEqual(
      ["2020-02-29T00:00:00Z", "0001-01-01T00:00:00Z"].map(parseTimestamp),
    );
    expect([JSON.parse(a!.tags!), JSON.parse(b!.tags!)]).toEqual([[1, "a"], []]);
    expect([a!.name, b!.name, a!.added]).toEqual(["é", "x", null]);
    for (const key of ["_sz_id", "_sz_ts", "_sz_enid", "_sz_received_at", "_sz_version"]) {
      expect([a![key], b![key]]).toEqual([before[0]![key], before[1]![key]]);
    }
    expect(after[2]).toMatchObject({ _sz_id: "c", n: "0.5", m: "text", big: "1.5", flag: "yes", at: "soon", day: "2020-01-01T10:00:00+00:00", tags: "none", added: "1", _sz_version: "2" });

    // Re-running either plan (after a crash, or twice by mistake) is a no-op.
    await run(db.pool, create);
    await run(db.pool, widen);
    expect(await dump(db.pool)).toEqual(after);
    expect(Object.keys(await columnTypes(db.pool)).sort()).toEqual(v2.columns.map((c) => c.name).sort());
  });

  test("a widening plan refuses a column whose type is neither the old nor the new one", async ({ db }) => {
    const v1 = mergeSchema(emptySchema(TABLE, "postgres"), observe({ n: 1 })).schema;
    await run(db.pool, planPostgres(null, v1));
    await db.pool.query(`ALTER TABLE "${TABLE}" ALTER COLUMN "n" TYPE boolean USING "n" <> 0`);
    const v2 = mergeSchema(v1, observe({ n: 1.5 })).schema;
    await expect(run(db.pool, planPostgres(v1, v2))).rejects.toThrow("column n of \"_e_user__pass_mission\" has type boolean, expected bigint or double precision");
  });
});
