import { readFileSync } from "node:fs";
import { CodedError } from "@schematizer/errors";
import { describe, expect, it } from "vitest";
import { SQLIZER_ERRORS, refusesTheTable, rejectionOf } from "./sqlizer-errors.ts";

describe("sqlizer's dead-letter codes", () => {
  it("are each listed in the README's table of dead-letter codes", () => {
    const readme = readFileSync(new URL("../../../README.md", import.meta.url), "utf8");
    for (const code of Object.keys(SQLIZER_ERRORS)) expect(readme, code).toMatch(new RegExp(`^\\| \`${code}\` \\|`, "m"));
  });

  it("name the cause of an error that settled as the event's own", () => {
    expect(rejectionOf(new CodedError("REGISTRY_TABLE_LIMIT", "full")).code).toBe("REGISTRY_TABLE_LIMIT");
    const refused = rejectionOf(Object.assign(new Error("unsupported Unicode escape sequence"), { code: "22P05" }));
    expect(refused).toMatchObject({ code: "SQLIZER_REGISTRY_REFUSED", message: "22P05: unsupported Unicode escape sequence" });
    expect(rejectionOf(new TypeError("x is not a function"))).toMatchObject({ code: "SQLIZER_UNEXPECTED_ERROR", message: "x is not a function" });
    const repeated = rejectionOf(Object.assign(new Error("Connection terminated unexpectedly"), {}));
    expect(repeated.message).toMatch(/repeated on this event while the registry answered/);
  });

  it("refuse a whole table only for the registry's own refusals", () => {
    expect(refusesTheTable(new CodedError("REGISTRY_TABLE_LIMIT", "full"))).toBe(true);
    expect(refusesTheTable(new CodedError("REGISTRY_CONFLICT", "lost", { retriable: true }))).toBe(false);
    expect(refusesTheTable(Object.assign(new Error("x"), { code: "22021" }))).toBe(false);
  });
});
