import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { checkEvent, MAX_EVENT_NAME_BYTES, parseEvent, validateEnvelope } from "./envelope.ts";
import { DEFAULT_LIMITS } from "./limits.ts";
import { isPlainName, utf8LongerThan } from "./text.ts";

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

describe("event names", () => {
  const lookalikes = ["user\u0000", "\u0000", "us\u0007er", "user\u200b", "\ufeffuser", "us\u202eer", "user\u2066", "\ud800user", "user\udfff", "user ", " user", "user\t", "\u00a0user"];

  it("refuses NUL, control and invisible characters, lone surrogates and surrounding whitespace, with the field's path", () => {
    for (const name of lookalikes) {
      for (const field of ["entype", "evname"] as const) {
        const event = { ...valid, [field]: name };
        const expected = { ok: false, errors: [{ code: "ENVELOPE_FIELD_FORMAT", path: `$.${field}`, message: expect.stringMatching(new RegExp(`^${field} (has U\\+[0-9A-F]{4}|starts with|ends with)`)) as unknown }] };
        expect(validateEnvelope(event), JSON.stringify(name)).toMatchObject(expected);
        // From text too: JSON escapes reach the same check.
        expect(parseEvent(JSON.stringify(event)), JSON.stringify(name)).toMatchObject(expected);
      }
    }
    expect(validateEnvelope({ ...valid, entype: "user\u200b" })).toEqual({
      ok: false,
      errors: [
        {
          code: "ENVELOPE_FIELD_FORMAT",
          path: "$.entype",
          message: "entype has U+200B, an invisible or control character, at index 4; names must be visible text without control characters, lone surrogates or surrounding whitespace",
        },
      ],
    });
  });

  it("accepts visible names in any script, inner spaces included", () => {
    for (const name of ["Pass Mission", "café", "名前", "😀 unlocked", "a.b"]) {
      expect(validateEnvelope({ ...valid, evname: name }).ok, name).toBe(true);
    }
  });

  it("accepts a name exactly when it is plain and short enough, whichever path validates it", () => {
    const part = fc.oneof(
      fc.constantFrom("user", "a b", "é", "名", "😀", " ", "\u0000", "\u001f", "\u200b", "\ufeff", "\u202e", "\ud800", "\udc00", "\u2028"),
      fc.string({ maxLength: 4, unit: "binary" }),
    );
    fc.assert(
      fc.property(fc.array(part, { maxLength: 6 }).map((p) => p.join("")), fc.boolean(), (name, asText) => {
        const event = { ...valid, entype: name };
        const result = asText ? parseEvent(JSON.stringify(event)) : validateEnvelope(event);
        const plain = isPlainName(name) && !utf8LongerThan(name, MAX_EVENT_NAME_BYTES);
        expect(result.ok).toBe(plain);
        if (!result.ok) expect(result.errors.map((e) => e.path)).toEqual(["$.entype"]);
      }),
      { numRuns: 400 },
    );
  });
});

describe("ts at the edges of the range", () => {
  it("accepts the first and last instants, whatever offset writes them", () => {
    expect(validateEnvelope({ ...valid, ts: "0001-01-01T00:00:00Z" }).ok).toBe(true);
    expect(validateEnvelope({ ...valid, ts: "0001-01-01T00:00:00-01:00" }).ok).toBe(true);
    expect(validateEnvelope({ ...valid, ts: "9999-12-31T23:59:59.999999Z" }).ok).toBe(true);
    expect(validateEnvelope({ ...valid, ts: "9999-12-31T23:30:00+01:00" }).ok).toBe(true);
  });

  it("refuses an instant beyond them once its offset is applied, and a number beyond a double", () => {
    expect(codes({ ...valid, ts: "0001-01-01T00:00:00+01:00" })).toEqual([["ENVELOPE_FIELD_RANGE", "$.ts"]]);
    expect(codes({ ...valid, ts: "9999-12-31T23:30:00-01:00" })).toEqual([["ENVELOPE_FIELD_RANGE", "$.ts"]]);
    for (const literal of ["1e400", "-1E+309", "2e99999"]) {
      const text = JSON.stringify(valid).replace('"ts":"2015-01-01T00:31:32Z"', `"ts":${literal}`);
      expect(parseEvent(text), literal).toMatchObject({ ok: false, errors: [{ code: "ENVELOPE_FIELD_RANGE", path: "$.ts" }] });
    }
    // A string that merely looks like a number is a malformed ts, not an out-of-range one.
    expect(codes({ ...valid, ts: "1e5" })).toEqual([["ENVELOPE_FIELD_FORMAT", "$.ts"]]);
  });
});
