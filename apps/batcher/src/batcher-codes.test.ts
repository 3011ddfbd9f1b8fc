import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { BATCHER_CODES, batcherError, type BatcherCode } from "./batcher-codes.ts";

/** The batcher's code and the warehouses' (whose load codes the catalogue holds), tests and kits aside. */
const sources = [new URL(".", import.meta.url), new URL("../../../libs/warehouse/src/", import.meta.url)].flatMap((dir) =>
  readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts") && !f.endsWith("test-kit.ts") && !f.endsWith("batcher-codes.ts") && !f.endsWith("load-codes.ts"))
    .map((f) => readFileSync(new URL(f, dir), "utf8")),
);
/** Codes written as string literals in the batcher's code. */
const used = new Set(sources.flatMap((text) => [...text.matchAll(/"(BATCHER_[A-Z0-9_]+)"/g)].map((m) => m[1] as string)));
const codes = Object.keys(BATCHER_CODES) as BatcherCode[];

describe("the catalogue of batcher codes", () => {
  it("holds every code the batcher's code names", () => {
    expect([...used].filter((code) => !(code in BATCHER_CODES))).toEqual([]);
  });

  it("holds no code the batcher's code never names", () => {
    expect(codes.filter((code) => !used.has(code))).toEqual([]);
  });

  it("says of each what it means, and whether a retry can help as its fate implies", () => {
    for (const code of codes) {
      const info = BATCHER_CODES[code];
      expect(info.meaning.length, code).toBeGreaterThan(20);
      if (info.fate === "retried") expect(info.retriable, code).toBe(true);
      if (info.fate === "row set aside" || info.fate === "batch parked" || info.fate === "record rejected") expect(info.retriable, code).toBe(false);
    }
    expect(batcherError("BATCHER_WAREHOUSE_CONFLICT", "lost a race")).toMatchObject({ code: "BATCHER_WAREHOUSE_CONFLICT", retriable: true });
  });
});
