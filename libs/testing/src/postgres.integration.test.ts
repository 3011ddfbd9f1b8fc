import { describe, expect } from "vitest";
import { test } from "./fixtures.ts";

describe("Postgres", () => {
  test("each test has its own schema as search_path", async ({ db }) => {
    await db.pool.query("CREATE TABLE probe (id bigint PRIMARY KEY, note text)");
    await db.pool.query("INSERT INTO probe VALUES ($1, $2), ($3, $4)", ["9007199254740993", "beyond 2^53", 1, "one"]);
    const { rows } = await db.pool.query("SELECT id, note, current_schema() AS schema FROM probe ORDER BY id");
    // int8 comes back as a decimal string: exact beyond 2^53.
    expect(rows).toEqual([
      { id: "1", note: "one", schema: db.schema },
      { id: "9007199254740993", note: "beyond 2^53", schema: db.schema },
    ]);
  });
});
