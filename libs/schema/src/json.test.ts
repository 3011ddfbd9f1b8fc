import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { mayHoldBigIntegers, mayHoldHugeExponents, parseJson, stringifyJson, type JsonValue } from "./json.ts";

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

  it("keeps a number beyond the largest double as its literal text, never as Infinity", () => {
    expect(parseJson('{"a": 1e400, "b": [-1E+309, 2e99999], "c": 1.5e308, "d": 1e-400}')).toEqual({
      ok: true,
      value: { a: "1e400", b: ["-1E+309", "2e99999"], c: 1.5e308, d: 0 },
    });
    expect(parseJson("1e400")).toEqual({ ok: true, value: "1e400" });
    // Beside a big integer (the other exact-path trigger) too.
    expect(parseJson("[12345678901234567890, 1e400]")).toEqual({ ok: true, value: [12345678901234567890n, "1e400"] });
  });

  it("never yields a non-finite number, whatever the literals", () => {
    const mantissa = fc.oneof(fc.integer({ min: 0, max: 999 }).map(String), fc.constantFrom("1.5", "9.999", "123456789012345678901234567890", "0.1"));
    const literal = fc
      .tuple(fc.constantFrom("", "-"), mantissa, fc.constantFrom("e", "E"), fc.constantFrom("", "+", "-"), fc.integer({ min: 0, max: 100_000 }))
      .map(([sign, m, e, es, x]) => `${sign}${m}${e}${es}${x}`);
    const finite = (v: JsonValue): boolean =>
      typeof v === "number" ? Number.isFinite(v) : Array.isArray(v) ? v.every(finite) : v !== null && typeof v === "object" ? Object.values(v).every(finite) : true;
    fc.assert(
      fc.property(fc.array(literal, { maxLength: 4 }), fc.json(), (literals, other) => {
        const text = `{"n": [${literals.join(", ")}], "other": ${other}}`;
        const parsed = parseJson(text);
        expect(parsed.ok).toBe(true);
        if (!parsed.ok) return;
        expect(finite(parsed.value)).toBe(true);
        // Each literal is its double when finite, else its own text.
        const numbers = (parsed.value as { n: JsonValue[] }).n;
        literals.forEach((l, i) => expect(numbers[i]).toBe(Number.isFinite(Number(l)) ? Number(l) : l));
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
  it("flags number literals with a 3-digit exponent, not hex ids or UUIDs in strings", () => {
    for (const t of ['{"a":1e400}', '{"a": -1.5E+400}', "[0,1e-999]", "2e999", '{"a":\n9e0400}']) expect(mayHoldHugeExponents(t), t).toBe(true);
    for (const t of ['{"a":1e40}', '{"id":"550e8400-e29b-41d4-a716-446655440000"}', '{"h":"3e401f"}', '{"e123":1}', '{"a":"x1e400"}']) {
      expect(mayHoldHugeExponents(t), t).toBe(false);
    }
  });

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
