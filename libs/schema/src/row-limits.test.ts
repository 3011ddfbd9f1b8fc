import { describe, expect, it } from "vitest";
import { cellInlineBytes, MAX_CELL_BYTES, ROW_LIMITS, SYSTEM_CELLS_BYTES, textInlineBytes, TUPLE_HEADER_BYTES } from "./row-limits.ts";
import { COLUMN_TYPES, typeCode } from "./type-lattice.ts";

describe("in-line estimates", () => {
  it("counts a short text as its UTF-8 and one header byte, and anything TOAST can move as a pointer", () => {
    expect(textInlineBytes("")).toBe(1);
    expect(textInlineBytes("caverns")).toBe(8);
    expect(textInlineBytes("x".repeat(23))).toBe(24);
    expect(textInlineBytes("x".repeat(24))).toBe(27);
    expect(textInlineBytes("é".repeat(11))).toBe(23);
    expect(textInlineBytes("é".repeat(12))).toBe(27);
    expect(textInlineBytes("x".repeat(100_000))).toBe(27);
  });

  it("bounds every cell of every type, as it is and as the text it may widen to", () => {
    for (const type of COLUMN_TYPES) {
      const bytes = cellInlineBytes(typeCode(type), type === "varchar" ? "x".repeat(30) : 1);
      expect(bytes, type).toBeGreaterThan(0);
      expect(bytes, type).toBeLessThanOrEqual(MAX_CELL_BYTES);
    }
    // A boolean that becomes the text "false".
    expect(cellInlineBytes(typeCode("boolean"), true)).toBe(6);
  });

  it("leaves room for the widest header and the system cells within a Postgres page", () => {
    expect(TUPLE_HEADER_BYTES).toBe(Math.ceil((23 + 1600 / 8) / 8) * 8);
    expect(ROW_LIMITS.postgres.maxInlineBytes - TUPLE_HEADER_BYTES - SYSTEM_CELLS_BYTES).toBe(7810);
    expect(ROW_LIMITS.redshift.maxInlineBytes).toBe(Number.POSITIVE_INFINITY);
  });
});
