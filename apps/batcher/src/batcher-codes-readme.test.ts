import { readFileSync } from "node:fs";
import { documentedCodes } from "@schematizer/errors";
import { describe, expect, it } from "vitest";
import { BATCHER_CODES } from "./batcher-codes.ts";

describe("the catalogue of batcher codes, in the README", () => {
  it("is the README's table of the batcher's codes: every code, and no other, with its fate", () => {
    const documented = documentedCodes(readFileSync(new URL("../../../README.md", import.meta.url), "utf8"), "### The batcher's codes");
    expect([...documented.keys()].sort()).toEqual(Object.keys(BATCHER_CODES).sort());
    for (const [code, { fate }] of Object.entries(BATCHER_CODES)) expect(documented.get(code)?.[0], code).toBe(fate);
  });
});
