import { describe, expect, it } from "vitest";
import { bookkeepingStatements } from "../bookkeeping.ts";
import { REDSHIFT_BOOKKEEPING } from "./redshift-bookkeeping.ts";

describe("Redshift bookkeeping", () => {
  it("creates the app's schema and bookkeeping tables idempotently", () => {
    const statements = bookkeepingStatements("redshift", REDSHIFT_BOOKKEEPING, "acme");
    expect(statements[0]).toBe(`CREATE SCHEMA IF NOT EXISTS "acme"`);
    expect(statements[1]).toMatch(/^CREATE TABLE IF NOT EXISTS "acme"\."_sz_loads" \(\n {2}batch_key VARCHAR\(1024\) NOT NULL,/);
    expect(statements[2]).toMatch(/^CREATE TABLE IF NOT EXISTS "acme"\."_sz_tables" /);
  });
});
