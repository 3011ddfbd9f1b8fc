import { readFileSync } from "node:fs";
import { documentedCodes } from "@schematizer/errors";
import { describe, expect, it } from "vitest";
import { REGISTRY_ERRORS } from "./registry-errors.ts";

describe("the registry's catalogue of codes", () => {
  it("is the README's table of the registry's codes: every code, and no other, with whether it is retried", () => {
    const documented = documentedCodes(readFileSync(new URL("../../../README.md", import.meta.url), "utf8"), "### The registry's codes");
    expect([...documented.keys()].sort()).toEqual(Object.keys(REGISTRY_ERRORS).sort());
    for (const [code, { retriable }] of Object.entries(REGISTRY_ERRORS)) expect(documented.get(code)?.[0], code).toBe(retriable ? "yes" : "no");
  });
});
