import { describe, expect, it } from "vitest";
import { CodedError } from "./coded-error.ts";
import { errorKind, isRetriable } from "./error-kind.ts";

const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });

describe("errorKind", () => {
  it("takes a coded error at its word", () => {
    expect(errorKind(new CodedError("REGISTRY_CONFLICT", "lost", { retriable: true }))).toBe("infrastructure");
    expect(errorKind(new CodedError("REGISTRY_TABLE_LIMIT", "full"))).toBe("content");
  });

  it("reads Postgres SQLSTATEs: connection, rollback, resources, shutdown are infrastructure; data and limits are content", () => {
    for (const code of ["08006", "08001", "40001", "40P01", "53300", "55P03", "57P01", "57014", "58030"]) {
      expect(errorKind(withCode("x", code)), code).toBe("infrastructure");
    }
    // NUL in text, \u0000 in jsonb, row too big, too many columns, duplicate column, unique violation, internal error
    for (const code of ["22021", "22P05", "54000", "54011", "42701", "23505", "XX000", "22003"]) {
      expect(errorKind(withCode("x", code)), code).toBe("content");
    }
  });

  it("knows sockets, DNS and node-postgres's lost connections", () => {
    expect(errorKind(withCode("connect ECONNREFUSED 127.0.0.1:5432", "ECONNREFUSED"))).toBe("infrastructure");
    expect(errorKind(withCode("getaddrinfo EAI_AGAIN db", "EAI_AGAIN"))).toBe("infrastructure");
    expect(errorKind(new Error("Connection terminated unexpectedly"))).toBe("infrastructure");
    expect(errorKind(new Error("timeout exceeded when trying to connect"))).toBe("infrastructure");
    expect(errorKind(new AggregateError([withCode("a", "ECONNREFUSED"), withCode("b", "ECONNREFUSED")], ""))).toBe("infrastructure");
  });

  it("trusts the Kafka clients' own flags, and looks through a give-up to its cause", () => {
    expect(errorKind(Object.assign(new Error("not leader"), { retriable: true }))).toBe("infrastructure");
    expect(errorKind(Object.assign(new Error("network"), { canRetry: true }))).toBe("infrastructure");
    expect(errorKind(Object.assign(new Error("too large"), { retriable: false }))).toBe("content");
    const gaveUp = new Error("retries exceeded", { cause: withCode("connect ECONNREFUSED", "ECONNREFUSED") });
    expect(errorKind(Object.assign(gaveUp, { retriable: false }))).toBe("infrastructure");
  });

  it("knows S3's throttling and server faults", () => {
    expect(errorKind(Object.assign(new Error("slow down"), { name: "SlowDown" }))).toBe("infrastructure");
    expect(errorKind(Object.assign(new Error("oops"), { $fault: "server" }))).toBe("infrastructure");
    expect(errorKind(Object.assign(new Error("no such key"), { name: "NoSuchKey", $fault: "client" }))).toBe("content");
  });

  it("calls what it does not know content, so no input can be retried for ever", () => {
    expect(errorKind(new TypeError("cannot read properties of undefined"))).toBe("content");
    expect(errorKind("a string")).toBe("content");
    expect(errorKind(undefined)).toBe("content");
    expect(isRetriable(new RangeError("Invalid array length"))).toBe(false);
  });
});
