import { CodedError } from "@schematizer/errors";
import { describe, expect, it } from "vitest";
import { confluentError, toConfluentError } from "./confluent-errors.ts";
import { registryError } from "./registry-errors.ts";

describe("toConfluentError", () => {
  it("answers catalogued errors with their status and Confluent code", () => {
    expect(toConfluentError(confluentError("VERSION_NOT_FOUND", "Version 9 not found."))).toEqual({
      status: 404,
      body: { error_code: 40402, message: "Version 9 not found." },
    });
  });

  it("answers a lost race as a timeout the client may retry, and hides other failures", () => {
    expect(toConfluentError(registryError("REGISTRY_CONFLICT", "lost")).body.error_code).toBe(50002);
    const hidden = toConfluentError(new Error("password authentication failed for user postgres"));
    expect(hidden).toEqual({ status: 500, body: { error_code: 50001, message: "Error in the backend data store" } });
    expect(toConfluentError(new CodedError("X", "x")).status).toBe(500);
  });

  it("keeps the status of fastify's request errors", () => {
    const unsupported = Object.assign(new Error("Unsupported Media Type: text/plain"), { statusCode: 415 });
    expect(toConfluentError(unsupported)).toEqual({ status: 415, body: { error_code: 415, message: unsupported.message } });
    const unparsable = Object.assign(new Error("Unexpected end of JSON input"), { statusCode: 400 });
    expect(toConfluentError(unparsable).body.error_code).toBe(400);
  });
});
