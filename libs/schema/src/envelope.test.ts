import { describe, expect, it } from "vitest";
import { checkEvent, parseEvent, validateEnvelope } from "./envelope.ts";
import { DEFAULT_LIMITS } from "./limits.ts";

const valid = { id: "e1", ts: "2015-01-01T00:31:32Z", entype: "user", evname: "pass_mission", enid: "u1", body: { level: 7 } };

function codes(value: unknown): [string, string][] {
  const result = validateEnvelope(value);
  return result.ok ? [] : result.errors.map((e) => [e.code, e.path]);
}

describe("validateEnvelope", () => {
  it("accepts the documented envelope", () => {
    expect(validateEnvelope(valid)).toEqual({
      ok: true,
      value: { id: "e1", ts: 1_420_072_292_000_000, entype: "user", evname: "pass_mission", enid: "u1", body: { level: 7 } },
    });
  });

  it("accepts epoch milliseconds and treats null optional fields as absent", () => {
    const result = validateEnvelope({ ts: 1_420_072_292_000, entype: "user", evname: "x", id: null, enid: null, body: {} });
    expect(result).toEqual({ ok: true, value: { ts: 1_420_072_292_000_000, entype: "user", evname: "x", body: {} } });
  });

  it("lists every problem of one event, each with its path", () => {
    expect(codes({ id: 5, ts: "yesterday", entype: "", evname: 3, enid: "", body: [], extra: 1 })).toEqual([
      ["ENVELOPE_UNKNOWN_FIELD", "$.extra"],
      ["ENVELOPE_FIELD_TYPE", "$.id"],
      ["ENVELOPE_FIELD_EMPTY", "$.entype"],
      ["ENVELOPE_FIELD_TYPE", "$.evname"],
      ["ENVELOPE_FIELD_EMPTY", "$.enid"],
      ["ENVELOPE_FIELD_FORMAT", "$.ts"],
      ["ENVELOPE_FIELD_TYPE", "$.body"],
    ]);
    expect(codes({})).toEqual([
      ["ENVELOPE_FIELD_MISSING", "$.entype"],
      ["ENVELOPE_FIELD_MISSING", "$.evname"],
      ["ENVELOPE_FIELD_MISSING", "$.ts"],
      ["ENVELOPE_FIELD_MISSING", "$.body"],
    ]);
  });

  it("says what is wrong in words", () => {
    const result = validateEnvelope({ ...valid, body: null });
    expect(result).toEqual({
      ok: false,
      errors: [{ code: "ENVELOPE_FIELD_TYPE", path: "$.body", message: "body must be an object, got null" }],
    });
  });

  it("refuses non-objects, odd ts numbers and unstorable ids", () => {
    expect(codes([valid])).toEqual([["ENVELOPE_NOT_OBJECT", "$"]]);
    expect(codes("x")).toEqual([["ENVELOPE_NOT_OBJECT", "$"]]);
    expect(codes({ ...valid, ts: 1.5 })).toEqual([["ENVELOPE_FIELD_FORMAT", "$.ts"]]);
    expect(codes({ ...valid, ts: 1e20 })).toEqual([["ENVELOPE_FIELD_RANGE", "$.ts"]]);
    expect(codes({ ...valid, ts: 12345678901234567890n })).toEqual([["ENVELOPE_FIELD_RANGE", "$.ts"]]);
    expect(codes({ ...valid, ts: true })).toEqual([["ENVELOPE_FIELD_TYPE", "$.ts"]]);
    expect(codes({ ...valid, id: "a\u0000b" })).toEqual([["ENVELOPE_FIELD_FORMAT", "$.id"]]);
    expect(codes({ ...valid, enid: "é".repeat(129) })).toEqual([["ENVELOPE_FIELD_TOO_LONG", "$.enid"]]);
    expect(codes({ ...valid, evname: "   " })).toEqual([["ENVELOPE_FIELD_EMPTY", "$.evname"]]);
    expect(codes({ ...valid, "weird key": 1 })).toEqual([["ENVELOPE_UNKNOWN_FIELD", '$["weird key"]']]);
  });
});

describe("parseEvent", () => {
  it("parses, validates and keeps big integers exact", () => {
    const result = parseEvent(JSON.stringify(valid).replace('"level":7', '"level":7,"id64":18446744073709551615'));
    expect(result.ok && result.value.body).toEqual({ level: 7, id64: 18446744073709551615n });
  });

  it("accepts bytes and refuses invalid UTF-8", () => {
    expect(parseEvent(Buffer.from(JSON.stringify(valid))).ok).toBe(true);
    const bad = Buffer.from(JSON.stringify(valid).replace("u1", "u\u00ff"), "latin1");
    expect(parseEvent(bad)).toMatchObject({ ok: false, errors: [{ code: "EVENT_INVALID_JSON", path: "$" }] });
  });

  it("refuses invalid JSON with a position", () => {
    expect(parseEvent('{"ts": 1,')).toMatchObject({
      ok: false,
      errors: [{ code: "EVENT_INVALID_JSON", path: "$", message: expect.stringMatching(/offset 9$/) as unknown }],
    });
  });

  it("refuses events over the size limit before parsing them", () => {
    const limits = { ...DEFAULT_LIMITS, maxEventBytes: 100 };
    const big = JSON.stringify({ ...valid, body: { s: "é".repeat(60) } });
    expect(parseEvent(big, limits)).toMatchObject({ ok: false, errors: [{ code: "EVENT_TOO_LARGE" }] });
    expect(parseEvent(Buffer.from(big), limits)).toMatchObject({ ok: false, errors: [{ code: "EVENT_TOO_LARGE" }] });
    // Exactly at the limit is accepted (and then fails for what it lacks).
    const atLimit = parseEvent("{}".padEnd(100, " "), limits);
    expect(atLimit.ok === false && atLimit.errors.map((e) => e.code)).not.toContain("EVENT_TOO_LARGE");
  });

  it("refuses bodies nested beyond the depth limit, arrays included", () => {
    const limits = { ...DEFAULT_LIMITS, maxDepth: 2 };
    expect(checkEvent({ ...valid, body: { a: { b: 1 } } }, limits).ok).toBe(true);
    expect(checkEvent({ ...valid, body: { a: { b: { c: 1 } } } }, limits)).toMatchObject({
      ok: false,
      errors: [{ code: "EVENT_TOO_DEEP", path: "$.body.a.b" }],
    });
    expect(checkEvent({ ...valid, body: { a: [[1]] } }, limits)).toMatchObject({
      ok: false,
      errors: [{ code: "EVENT_TOO_DEEP", path: "$.body.a[0]" }],
    });
    const deep = `{"ts":0,"entype":"a","evname":"b","body":{"a":${"[".repeat(50_000)}${"]".repeat(50_000)}}}`;
    expect(parseEvent(deep)).toMatchObject({ ok: false, errors: [{ code: "EVENT_TOO_DEEP" }] });
  });
});
