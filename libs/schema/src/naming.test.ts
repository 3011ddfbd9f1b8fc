import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  cachedTableName,
  columnName,
  isSystemName,
  isValidName,
  NAME_LIMITS,
  normalizeSegment,
  RESERVED_COLUMN_NAMES,
  tableName,
  type Dialect,
} from "./naming.ts";

describe("normalizeSegment", () => {
  it("gives snake_case ASCII", () => {
    expect(normalizeSegment("isPremium")).toBe("is_premium");
    expect(normalizeSegment("is_premium")).toBe("is_premium");
    expect(normalizeSegment("IsPremium")).toBe("is_premium");
    expect(normalizeSegment("is-premium")).toBe("is_premium");
    expect(normalizeSegment("userID")).toBe("user_id");
    expect(normalizeSegment("HTTPStatusCode")).toBe("http_status_code");
    expect(normalizeSegment("v2Name")).toBe("v2_name");
    expect(normalizeSegment("level2")).toBe("level2");
    expect(normalizeSegment("a.b")).toBe("a_b");
    expect(normalizeSegment("__a__b__")).toBe("a_b");
    expect(normalizeSegment("Café au lait")).toBe("cafe_au_lait");
    expect(normalizeSegment("$price")).toBe("price");
  });

  it("hashes keys whose characters have no ASCII form, so they stay apart", () => {
    const a = normalizeSegment("名前");
    const b = normalizeSegment("年齢");
    expect(a).toMatch(/^x_[0-9a-f]{10}$/);
    expect(a).not.toBe(b);
    expect(normalizeSegment("名前_1")).toMatch(/^1_[0-9a-f]{10}$/);
    expect(normalizeSegment("")).toMatch(/^x_[0-9a-f]{10}$/);
    expect(normalizeSegment("%")).not.toBe(normalizeSegment("#"));
  });
});

describe("columnName", () => {
  it("joins nested keys with __, so nesting never meets an underscore in a key", () => {
    expect(columnName(["a", "b"], "postgres")).toBe("a__b");
    expect(columnName(["a_b"], "postgres")).toBe("a_b");
    expect(columnName(["a__b"], "postgres")).toBe("a_b");
    expect(columnName(["user", "isPremium"], "redshift")).toBe("user__is_premium");
  });

  it("never yields a system column, and starts with a letter or underscore", () => {
    expect(columnName(["_sz_id"], "postgres")).toBe("sz_id");
    expect(columnName(["_sz_unmapped"], "redshift")).toBe("sz_unmapped");
    expect(columnName(["1st"], "postgres")).toBe("_1st");
    expect(columnName(["_1st"], "postgres")).toBe("_1st");
  });

  it("cuts long names at the dialect's byte limit with a stable hash", () => {
    const path = ["a".repeat(40), "b".repeat(40)];
    const pg = columnName(path, "postgres");
    const rs = columnName(path, "redshift");
    expect(pg).toHaveLength(63);
    expect(pg).toMatch(/^a{40}__b{10}_[0-9a-f]{10}$/);
    expect(rs).toBe(`${"a".repeat(40)}__${"b".repeat(40)}`);
    expect(columnName(path, "postgres")).toBe(pg);
    expect(columnName(["a".repeat(40), "c".repeat(40)], "postgres")).not.toBe(pg);
  });

  it("every generated name is valid for its dialect, within the byte limit, and not a system name", () => {
    const key = fc.oneof(fc.string({ maxLength: 80 }), fc.string({ unit: "grapheme", maxLength: 40 }), fc.constantFrom("_sz_id", "_sz_", "1", "__", "ÀÉ"));
    fc.assert(
      fc.property(fc.array(key, { minLength: 1, maxLength: 6 }), fc.constantFrom<Dialect>("postgres", "redshift"), (path, dialect) => {
        const name = columnName(path, dialect);
        expect(isValidName(name, dialect)).toBe(true);
        expect(Buffer.byteLength(name)).toBeLessThanOrEqual(NAME_LIMITS[dialect]);
        expect(isSystemName(name)).toBe(false);
      }),
    );
  });
});

describe("names the warehouse reserves", () => {
  it("become the name with a trailing underscore, in the dialect that reserves them", () => {
    for (const name of ["tableoid", "xmin", "cmin", "xmax", "cmax", "ctid"]) {
      expect(columnName([name], "postgres")).toBe(`${name}_`);
      expect(columnName([name], "redshift")).toBe(`${name}_`);
    }
    expect(columnName(["XMin"], "postgres")).toBe("x_min");
    expect(columnName(["XMIN"], "postgres")).toBe("xmin_");
    expect(columnName(["ctid"], "postgres")).toBe("ctid_");
    expect(columnName(["oid"], "redshift")).toBe("oid_");
    expect(columnName(["insertxid"], "redshift")).toBe("insertxid_");
    expect(columnName(["deleteXid"], "redshift")).toBe("delete_xid");
    expect(columnName(["DELETEXID"], "redshift")).toBe("deletexid_");
    // Postgres 12+ has no oid column: the name is free there.
    expect(columnName(["oid"], "postgres")).toBe("oid");
    // Only the whole name is reserved.
    expect(columnName(["user", "xmin"], "postgres")).toBe("user__xmin");
  });

  const key = fc.oneof(
    fc.constantFrom("xmin", "XMIN", "xMin", "x_min", "ctid", "CTID", "oid", "Oid", "tableOid", "insertxid", "deletexid", "xmin_", "_xmin", "cmax "),
    fc.string({ maxLength: 10 }),
    fc.string({ unit: "grapheme", maxLength: 6 }),
  );
  const dialect = fc.constantFrom<Dialect>("postgres", "redshift");

  it("no path yields a reserved name, and names stay valid", () => {
    fc.assert(
      fc.property(fc.array(key, { minLength: 1, maxLength: 3 }), dialect, (path, d) => {
        const name = columnName(path, d);
        expect(RESERVED_COLUMN_NAMES[d].has(name)).toBe(false);
        expect(isValidName(name, d)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it("a renamed reserved name meets no other path's name: only reserved names end with an underscore", () => {
    fc.assert(
      fc.property(fc.array(key, { minLength: 1, maxLength: 3 }), dialect, (path, d) => {
        const name = columnName(path, d);
        if (name.endsWith("_")) expect(RESERVED_COLUMN_NAMES[d].has(name.slice(0, -1))).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});

describe("tableName", () => {
  it("is _e_<entype>__<evname>, normalized", () => {
    expect(tableName("user", "pass_mission", "redshift")).toBe("_e_user__pass_mission");
    expect(tableName("User", "passMission", "postgres")).toBe("_e_user__pass_mission");
    expect(tableName("user", "page.view", "postgres")).toBe("_e_user__page_view");
  });

  it("is always a valid name within the limit", () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 300 }), fc.string({ minLength: 1, maxLength: 300 }), fc.constantFrom<Dialect>("postgres", "redshift"), (entype, evname, dialect) => {
        const name = tableName(entype, evname, dialect);
        expect(isValidName(name, dialect)).toBe(true);
        expect(name.startsWith("_e_")).toBe(true);
      }),
    );
  });

  it("is remembered without mixing up kinds that concatenate alike", () => {
    expect(cachedTableName("ab", "c", "postgres")).toBe("_e_ab__c");
    expect(cachedTableName("a", "bc", "postgres")).toBe("_e_a__bc");
    expect(cachedTableName("a", "bc", "postgres")).toBe("_e_a__bc");
    fc.assert(
      fc.property(fc.string({ maxLength: 20 }), fc.string({ maxLength: 20 }), fc.constantFrom<Dialect>("postgres", "redshift"), (entype, evname, dialect) => {
        expect(cachedTableName(entype, evname, dialect)).toBe(tableName(entype, evname, dialect));
      }),
    );
  });
});
