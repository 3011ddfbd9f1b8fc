import { describe, expect, it } from "vitest";
import { checkEventSize, checkTableCount, DEFAULT_LIMITS, resolveLimits } from "./limits.ts";

describe("limits", () => {
  it("checks the event size", () => {
    expect(checkEventSize(DEFAULT_LIMITS.maxEventBytes).ok).toBe(true);
    expect(checkEventSize(DEFAULT_LIMITS.maxEventBytes + 1)).toEqual({
      ok: false,
      errors: [{ code: "EVENT_TOO_LARGE", path: "$", message: "event is 1048577 bytes; the limit is 1048576" }],
    });
  });

  it("checks the table count of an app", () => {
    const limits = resolveLimits({ maxTablesPerApp: 2 });
    expect(checkTableCount(1, limits)).toEqual({ ok: true, value: 2 });
    expect(checkTableCount(2, limits)).toMatchObject({ ok: false, errors: [{ code: "TABLE_LIMIT_REACHED" }] });
  });

  it("refuses a nonsensical configuration with every problem listed", () => {
    expect(() => resolveLimits({ maxColumns: 2000, maxDepth: 0 })).toThrow(
      "invalid schema limits: maxDepth must be a positive integer, got 0; maxColumns must be at most 1600 (Postgres and Redshift), got 2000",
    );
  });
});
