import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { COLUMN_TYPES, isWithin, joinSized, joinTypes, varcharSize, VARCHAR_SIZES, type ColumnType, type SizedType } from "./type-lattice.ts";

describe("joinTypes", () => {
  it("widens along the lattice", () => {
    expect(joinTypes("bigint", "double")).toBe("double");
    expect(joinTypes("bigint", "decimal")).toBe("decimal");
    expect(joinTypes("double", "decimal")).toBe("varchar");
    expect(joinTypes("date", "timestamptz")).toBe("timestamptz");
    expect(joinTypes("boolean", "bigint")).toBe("varchar");
    expect(joinTypes("timestamptz", "varchar")).toBe("varchar");
    expect(joinTypes("json", "bigint")).toBe("varchar");
    expect(joinTypes("json", "json")).toBe("json");
  });

  const triples = COLUMN_TYPES.flatMap((a) => COLUMN_TYPES.flatMap((b) => COLUMN_TYPES.map((c) => [a, b, c] as const)));

  it("is commutative, associative and idempotent on every triple", () => {
    for (const [a, b, c] of triples) {
      expect(joinTypes(a, a)).toBe(a);
      expect(joinTypes(a, b)).toBe(joinTypes(b, a));
      expect(joinTypes(joinTypes(a, b), c)).toBe(joinTypes(a, joinTypes(b, c)));
    }
  });

  it("is the least upper bound of the order isWithin", () => {
    for (const [a, b, c] of triples) {
      const j = joinTypes(a, b);
      expect(isWithin(a, j) && isWithin(b, j)).toBe(true);
      if (isWithin(a, c) && isWithin(b, c)) expect(isWithin(j, c)).toBe(true);
    }
  });

  it("has varchar on top", () => {
    for (const t of COLUMN_TYPES) expect(isWithin(t, "varchar")).toBe(true);
    expect(isWithin("double", "bigint")).toBe(false);
  });
});

describe("joinSized", () => {
  const sized: fc.Arbitrary<SizedType> = fc
    .tuple(fc.constantFrom(...COLUMN_TYPES), fc.constantFrom(...VARCHAR_SIZES))
    .map(([type, maxBytes]: [ColumnType, number]) => (type === "varchar" || type === "json" ? { type, maxBytes } : { type }));

  it("is a lattice join: commutative, associative, idempotent", () => {
    fc.assert(
      fc.property(sized, sized, sized, (a, b, c) => {
        expect(joinSized(a, a)).toEqual(a);
        expect(joinSized(a, b)).toEqual(joinSized(b, a));
        expect(joinSized(joinSized(a, b), c)).toEqual(joinSized(a, joinSized(b, c)));
      }),
    );
  });

  it("gives text widened from a scalar the smallest size, and keeps the larger size", () => {
    expect(joinSized({ type: "bigint" }, { type: "boolean" })).toEqual({ type: "varchar", maxBytes: 256 });
    expect(joinSized({ type: "json", maxBytes: 4096 }, { type: "varchar", maxBytes: 1024 })).toEqual({ type: "varchar", maxBytes: 4096 });
    expect(joinSized({ type: "json", maxBytes: 4096 }, { type: "bigint" }, false)).toEqual({ type: "varchar" });
  });
});

describe("varcharSize", () => {
  it("rounds up to a declared size and caps at 65535", () => {
    expect(varcharSize(0)).toBe(256);
    expect(varcharSize(256)).toBe(256);
    expect(varcharSize(257)).toBe(1024);
    expect(varcharSize(70_000)).toBe(65_535);
  });
});
