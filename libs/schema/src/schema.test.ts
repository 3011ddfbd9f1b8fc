import { describe, expect, it } from "vitest";
import { coerce } from "./coerce.ts";
import { mergeSchema } from "./merge.ts";
import { observe } from "./observe.ts";
import { columnForPath, emptySchema, fingerprint, type TableSchema } from "./schema.ts";

const v1 = mergeSchema(emptySchema("_e_user__pass_mission", "redshift"), observe({ level: 7, user: { isPremium: true } })).schema;

describe("TableSchema", () => {
  it("is plain JSON: it survives a trip through the registry unchanged, and still encodes rows", () => {
    const stored = JSON.parse(JSON.stringify(v1)) as TableSchema;
    expect(stored).toEqual(v1);
    const event = { id: "e1", ts: 0, entype: "user", evname: "pass_mission", body: { level: 8 } };
    expect(coerce(stored, event, { id: "e1", receivedAt: 0 }).row).toEqual(coerce(v1, event, { id: "e1", receivedAt: 0 }).row);
  });

  it("maps each source path to its column", () => {
    expect(columnForPath(v1, ["user", "isPremium"])?.name).toBe("user__is_premium");
    expect(columnForPath(v1, ["user"])).toBeUndefined();
  });
});

describe("fingerprint", () => {
  it("is stable, ignores the version number, and changes with the columns", () => {
    const stored = JSON.parse(JSON.stringify(v1)) as TableSchema;
    expect(fingerprint(stored)).toBe(fingerprint(v1));
    expect(fingerprint(v1)).toMatch(/^[0-9a-f]{64}$/);
    expect(fingerprint({ ...v1, version: 9 })).toBe(fingerprint(v1));
    const v2 = mergeSchema(v1, observe({ level: 7.5 })).schema;
    expect(fingerprint(v2)).not.toBe(fingerprint(v1));
    expect(fingerprint({ ...v1, dialect: "postgres" })).not.toBe(fingerprint(v1));
    expect(fingerprint({ ...v1, columns: [...v1.columns].reverse() })).not.toBe(fingerprint(v1));
  });
});
