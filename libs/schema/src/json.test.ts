import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { mayHoldBigIntegers, parseJson, stringifyJson } from "./json.ts";

describe("parseJson", () => {
  it("keeps integers beyond 2^53 exact, as bigint", () => {
    const result = parseJson('{"id": 9007199254740993, "neg": -18446744073709551615, "small": 9007199254740991}');
    expect(result).toEqual({
      ok: true,
      value: { id: 9007199254740993n, neg: -18446744073709551615n, small: 9007199254740991 },
    });
  });

  it("reads decimal and exponent literals as doubles, like JSON.parse", () => {
    const result = parseJson('[12345678901234567890.5, 1234567890123456789e2, 0.12345678901234567890]');
    expect(result).toEqual({ ok: true, value: [Number("12345678901234567890.5"), Number("1234567890123456789e2"), Number("0.12345678901234567890")] });
  });

  it("behaves like JSON.parse on any JSON text (exact path forced by a long digit run)", () => {
    fc.assert(
      fc.property(fc.json(), (text) => {
        const padded = `[${text}, "1234567890123456"]`;
        const exact = parseJson(padded);
        expect(exact.ok).toBe(true);
        const expected = JSON.parse(padded) as unknown;
        // Only integers beyond 2^53 may differ, and then by being exact.
        expect(JSON.stringify(exact.ok ? exact.value : null, (_k, v: unknown) => (typeof v === "bigint" ? Number(v) : v))).toBe(
          JSON.stringify(expected),
        );
      }),
    );
  });

  it("rejects what JSON.parse rejects, on both paths", () => {
    for (const text of ['{"a": 1,}', "[1 2]", '{"a"}', "01", "1.", "-", '"\u0001"', "tru", '{"a": 1', "", "[1] x", '"\\x"']) {
      expect(() => JSON.parse(text), text).toThrow();
      expect(parseJson(text).ok, text).toBe(false);
      // The same mistake inside an event whose long digit run forces the exact parser.
      const exact = `[1234567890123456, ${text}]`;
      expect(() => JSON.parse(exact), exact).toThrow();
      expect(parseJson(exact).ok, exact).toBe(false);
    }
  });

  it("says where the text goes wrong", () => {
    expect(parseJson('{"a": 1,}')).toMatchObject({ ok: false, offset: 8 });
    expect(parseJson('[12345678901234567, }')).toMatchObject({ ok: false, offset: 20 });
  });

  it("makes __proto__ an own property, as JSON.parse does", () => {
    const result = parseJson('{"__proto__": {"x": 1}, "n": 12345678901234567890}');
    expect(result.ok).toBe(true);
    const value = (result as { value: Record<string, unknown> }).value;
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(Object.keys(value)).toEqual(["__proto__", "n"]);
  });

  it("decodes escapes, including lone surrogates", () => {
    expect(parseJson('["\\u00e9\\n\\ud800", "1234567890123456"]')).toEqual({ ok: true, value: ["é\n\ud800", "1234567890123456"] });
  });
});

describe("mayHoldBigIntegers", () => {
  it("flags 16-digit runs only", () => {
    expect(mayHoldBigIntegers('{"n": 1234567890123456}')).toBe(true);
    expect(mayHoldBigIntegers('{"n": 123456789012345}')).toBe(false);
    expect(mayHoldBigIntegers("1234567890123456")).toBe(true);
  });

  it("finds a run of 16 digits wherever it is", () => {
    const text = fc.array(fc.oneof(fc.constantFrom("0", "9", "5"), fc.constantFrom(",", " ", "a", ".")), { maxLength: 120 }).map((a) => a.join(""));
    fc.assert(
      fc.property(text, fc.nat(40), (t, run) => {
        expect(mayHoldBigIntegers(t)).toBe(/\d{16}/.test(t));
        const padded = `${t}${"7".repeat(run)}${t}`;
        expect(mayHoldBigIntegers(padded)).toBe(/\d{16}/.test(padded));
      }),
    );
  });
});

describe("stringifyJson", () => {
  it("writes bigints as exact digits", () => {
    expect(stringifyJson([1, 18446744073709551615n, { a: -9007199254740993n }, "x"])).toBe(
      '[1,18446744073709551615,{"a":-9007199254740993},"x"]',
    );
  });

  it("round-trips through parseJson", () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }), (value, big) => {
        const text = stringifyJson([value as never, big]);
        const back = parseJson(text);
        expect(back.ok).toBe(true);
        expect(back.ok && stringifyJson(back.value)).toBe(text);
      }),
    );
  });
});
