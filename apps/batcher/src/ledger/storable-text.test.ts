import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isStorable } from "../staging/csv.ts";
import { storableText } from "./storable-text.ts";

describe("storableText", () => {
  it("makes any string storable in a Postgres text column, leaving storable text unchanged", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), (text) => {
        expect(isStorable(storableText(text))).toBe(true);
        if (isStorable(text)) expect(storableText(text)).toBe(text);
      }),
    );
    expect(storableText("a\u0000b\ud800")).toBe("a\\u0000b\ufffd");
  });
});
