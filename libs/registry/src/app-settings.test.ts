import { describe, expect, it } from "vitest";
import { DEFAULT_APP_SETTINGS, resolveAppSettings } from "./app-settings.ts";

describe("resolveAppSettings", () => {
  it("fills what is missing from the defaults", () => {
    expect(resolveAppSettings()).toEqual(DEFAULT_APP_SETTINGS);
    expect(resolveAppSettings({ dialect: "redshift", maxTables: 10 })).toEqual({ dialect: "redshift", maxColumns: 1000, maxTables: 10 });
  });

  it("lists every problem at once", () => {
    let error: unknown;
    try {
      resolveAppSettings({ dialect: "mysql" as never, maxColumns: 6, maxTables: 0 });
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ code: "REGISTRY_INVALID_SETTINGS", retriable: false });
    expect((error as { context: { problems: string[] } }).context.problems).toHaveLength(3);
  });

  it("allows Redshift's full 1600 columns and no more", () => {
    expect(resolveAppSettings({ maxColumns: 1600 }).maxColumns).toBe(1600);
    expect(() => resolveAppSettings({ maxColumns: 1601 })).toThrow(/maxColumns/);
  });
});
