import { readFileSync } from "node:fs";
import { documentedCodes } from "@schematizer/errors";
import { describe, expect, it } from "vitest";
import { SINK_ERRORS } from "./sink-errors.ts";

describe("event-sink's catalogue of answers", () => {
  it("is the README's table of event-sink's answers: every code, and no other, with its status", () => {
    const documented = documentedCodes(readFileSync(new URL("../../../README.md", import.meta.url), "utf8"), "### event-sink's answers");
    expect([...documented.keys()].sort()).toEqual(Object.keys(SINK_ERRORS).sort());
    for (const [code, { status }] of Object.entries(SINK_ERRORS)) expect(documented.get(code)?.[0], code).toBe(String(status));
  });
});
