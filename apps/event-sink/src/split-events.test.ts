import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { splitJsonBody, splitNdjsonBody } from "./split-events.ts";

describe("splitJsonBody", () => {
  it("returns one object as one event", () => {
    expect(splitJsonBody('  {"a":1}\n')).toEqual({ ok: true, events: ['{"a":1}'] });
  });

  it("cuts an array at top-level commas only, keeping each element's exact text", () => {
    const body = '[ {"a":[1,2,{"b":"}]"}]} ,\n{"s":"x,\\"y\\"]"}, 12345678901234567890 ]';
    expect(splitJsonBody(body)).toEqual({
      ok: true,
      events: ['{"a":[1,2,{"b":"}]"}]}', '{"s":"x,\\"y\\"]"}', "12345678901234567890"],
    });
  });

  it("treats an empty body and an empty array as no events", () => {
    expect(splitJsonBody("  ")).toEqual({ ok: true, events: [] });
    expect(splitJsonBody("[ ]")).toEqual({ ok: true, events: [] });
  });

  it("reports structural damage with an offset", () => {
    expect(splitJsonBody('[{"a":1},]')).toMatchObject({ ok: false, message: "trailing comma before ']'" });
    expect(splitJsonBody('[{"a":1},,{}]')).toMatchObject({ ok: false, message: "empty array element" });
    expect(splitJsonBody('[{"a":1}')).toMatchObject({ ok: false, message: "unterminated array" });
    expect(splitJsonBody('[{"a":"1}]')).toMatchObject({ ok: false, message: "unterminated array" });
    expect(splitJsonBody("[{}] x")).toMatchObject({ ok: false, message: "unexpected text after the array", offset: 5 });
    expect(splitJsonBody("[}]")).toMatchObject({ ok: false, offset: 1 });
  });

  it("gives back exactly the elements of any JSON array of values", () => {
    fc.assert(
      fc.property(fc.array(fc.jsonValue(), { maxLength: 20 }), fc.constantFrom("", " ", "\n  "), (values, ws) => {
        const texts = values.map((v) => JSON.stringify(v));
        const split = splitJsonBody(`${ws}[${ws}${texts.join(`${ws},${ws}`)}${ws}]${ws}`);
        expect(split).toEqual({ ok: true, events: texts });
      }),
    );
  });
});

describe("splitNdjsonBody", () => {
  it("returns one event per non-blank line", () => {
    expect(splitNdjsonBody('{"a":1}\r\n\n  {"b":2}  \n')).toEqual({ ok: true, events: ['{"a":1}', '{"b":2}'] });
    expect(splitNdjsonBody("")).toEqual({ ok: true, events: [] });
  });
});

describe("a limit on the number of events", () => {
  it("stops one event beyond the limit, in an array or in lines, without reading the rest", () => {
    expect(splitJsonBody("[1,2,3,4,", 2)).toEqual({ ok: true, events: ["1", "2", "3"] });
    expect(splitJsonBody("[1,2]", 2)).toEqual({ ok: true, events: ["1", "2"] });
    expect(splitNdjsonBody("1\n2\n3\n4\n", 2)).toEqual({ ok: true, events: ["1", "2", "3"] });
    expect(splitNdjsonBody("1\n\n2\n", 2)).toEqual({ ok: true, events: ["1", "2"] });
  });
});
