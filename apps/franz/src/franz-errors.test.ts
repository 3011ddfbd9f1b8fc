import { readFileSync } from "node:fs";
import { documentedCodes } from "@schematizer/errors";
import { describe, expect, it } from "vitest";
import { FRANZ_ERRORS } from "./franz-errors.ts";

describe("franz's catalogue of refusals", () => {
  it("is the README's table of franz's refusals: every code, and no other, with its status", () => {
    const documented = documentedCodes(readFileSync(new URL("../../../README.md", import.meta.url), "utf8"), "### franz's refusals");
    expect([...documented.keys()].sort()).toEqual(Object.keys(FRANZ_ERRORS).sort());
    for (const [code, status] of Object.entries(FRANZ_ERRORS)) expect(documented.get(code)?.[0], code).toBe(String(status));
  });
});
