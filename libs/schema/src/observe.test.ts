import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { inferType, joinObserved, observe } from "./observe.ts";
import { bodyArb } from "./test-arbitraries.ts";

describe("inferType", () => {
  it("types each kind of value", () => {
    expect(inferType(true)).toEqual({ type: "boolean" });
    expect(inferType(7)).toEqual({ type: "bigint" });
    expect(inferType(-9_007_199_254_740_991)).toEqual({ type: "bigint" });
    expect(inferType(7.5)).toEqual({ type: "double" });
    expect(inferType(1e300)).toEqual({ type: "double" });
    expect(inferType(Infinity)).toEqual({ type: "varchar", maxBytes: 256 });
    expect(inferType(9_007_199_254_740_993n)).toEqual({ type: "decimal" });
    expect(inferType(-(10n ** 38n) + 1n)).toEqual({ type: "decimal" });
    expect(inferType(10n ** 38n)).toEqual({ type: "varchar", maxBytes: 256 });
    expect(inferType("2015-01-01T00:31:32Z")).toEqual({ type: "timestamptz" });
    expect(inferType("2015-01-01")).toEqual({ type: "date" });
    expect(inferType("2015-01-01 00:31:32")).toEqual({ type: "varchar", maxBytes: 256 });
    expect(inferType("é".repeat(200))).toEqual({ type: "varchar", maxBytes: 1024 });
    expect(inferType("x".repeat(70_000))).toEqual({ type: "varchar", maxBytes: 65_535 });
    expect(inferType([1, "a"])).toEqual({ type: "json", maxBytes: 256 });
    expect(inferType(null)).toBeUndefined();
  });
});

describe("observe", () => {
  it("flattens nested objects into paths, with arrays as leaves and nothing for null or {}", () => {
    expect(observe({ level: 7, user: { isPremium: false, geo: {} }, tags: ["a"], gone: null }).fields).toEqual([
      { path: ["level"], type: "bigint" },
      { path: ["tags"], type: "json", maxBytes: 256 },
      { path: ["user", "isPremium"], type: "boolean" },
    ]);
  });

  it("does not depend on key order", () => {
    fc.assert(
      fc.property(bodyArb, (body) => {
        const reversed = Object.fromEntries(Object.entries(body).reverse());
        expect(observe(reversed)).toEqual(observe(body));
      }),
    );
  });
});

describe("joinObserved", () => {
  it("joins types per path", () => {
    expect(joinObserved(observe({ a: 1 }), observe({ a: 1.5, b: true })).fields).toEqual([
      { path: ["a"], type: "double" },
      { path: ["b"], type: "boolean" },
    ]);
  });

  it("is commutative, associative and idempotent", () => {
    fc.assert(
      fc.property(bodyArb, bodyArb, bodyArb, (x, y, z) => {
        const [a, b, c] = [observe(x), observe(y), observe(z)];
        expect(joinObserved(a, a)).toEqual(a);
        expect(joinObserved(a, b)).toEqual(joinObserved(b, a));
        expect(joinObserved(joinObserved(a, b), c)).toEqual(joinObserved(a, joinObserved(b, c)));
      }),
    );
  });
});
