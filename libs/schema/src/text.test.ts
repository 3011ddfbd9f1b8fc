import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isPlainName, nameProblem } from "./text.ts";

/** Strings mixing plain text with the characters a name must not hold. */
const nameArb = fc.array(
  fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom("user", "pass mission", "Pass-Mission", "é", "名前", "😀", "a.b") },
    { weight: 1, arbitrary: fc.constantFrom(" ", "\t", "\u0000", "\u0007", "\u007f", "\u0085", "\u00a0", "\u00ad", "\u200b", "\u200d", "\u202e", "\u2066", "\u2028", "\ufeff", "\ufe0f", "\u3000", "\uffff", "\ud800", "\udfff") },
    { weight: 1, arbitrary: fc.string({ maxLength: 3, unit: "binary" }) },
  ),
  { maxLength: 5 },
).map((parts) => parts.join(""));

describe("isPlainName", () => {
  it("takes visible names, with inner spaces and any script", () => {
    for (const name of ["user", "pass mission", "Pass-Mission", "café", "名前", "😀 unlocked", "a.b/c"]) {
      expect(isPlainName(name), name).toBe(true);
      expect(nameProblem(name)).toBeUndefined();
    }
  });

  it("refuses control and invisible characters, lone surrogates and surrounding whitespace, saying which and where", () => {
    expect(nameProblem("user\u0000")).toBe("has U+0000, an invisible or control character, at index 4");
    expect(nameProblem("us\u200ber")).toBe("has U+200B, an invisible or control character, at index 2");
    expect(nameProblem("\ufeffuser")).toBe("has U+FEFF, an invisible or control character, at index 0");
    expect(nameProblem("\u202euser")).toMatch(/^has U\+202E/);
    expect(nameProblem("user\ud800")).toMatch(/^has U\+D800/);
    expect(nameProblem("\udfffuser")).toMatch(/^has U\+DFFF/);
    expect(nameProblem(" user")).toBe("starts with whitespace");
    expect(nameProblem("user\u3000")).toBe("ends with whitespace");
    expect(nameProblem("")).toBe("is empty");
    for (const name of ["user\u0000", "a\u0007", "\u007f", "x\u200d", " a", "a ", "\u00a0a", "a\ud800", "a\tb"]) {
      expect(isPlainName(name), JSON.stringify(name)).toBe(false);
    }
  });

  it("agrees with nameProblem on any string: the fast check and the one that explains are one rule", () => {
    fc.assert(
      fc.property(fc.oneof(nameArb, fc.string({ unit: "binary" }), fc.string({ unit: "grapheme" })), (name) => {
        expect(isPlainName(name)).toBe(nameProblem(name) === undefined);
      }),
      { numRuns: 2000 },
    );
  });
});
