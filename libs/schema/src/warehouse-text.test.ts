import { describe, expect, it } from "vitest";
import { cellText } from "./warehouse-text.ts";

describe("cellText", () => {
  it("writes each type as text its column parses back exactly", () => {
    expect(cellText({ type: "timestamptz" }, 253_402_300_799_999_999n)).toBe("9999-12-31T23:59:59.999999Z");
    expect(cellText({ type: "timestamptz" }, -1)).toBe("1969-12-31T23:59:59.999999Z");
    expect(cellText({ type: "date" }, -719_162)).toBe("0001-01-01");
    expect(cellText({ type: "double" }, -0)).toBe("-0");
    expect(cellText({ type: "double" }, 0.1)).toBe("0.1");
    expect(cellText({ type: "double" }, 1e300)).toBe("1e+300");
    expect(cellText({ type: "decimal" }, -(10n ** 37n))).toBe(`-1${"0".repeat(37)}`);
    expect(cellText({ type: "bigint" }, 9_007_199_254_740_991)).toBe("9007199254740991");
    expect(cellText({ type: "boolean" }, false)).toBe("false");
    expect(cellText({ type: "json" }, "[1,2]")).toBe("[1,2]");
    expect(cellText({ type: "varchar" }, null)).toBeNull();
  });
});
