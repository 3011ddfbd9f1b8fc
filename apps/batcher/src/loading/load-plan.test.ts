import { describe, expect, it } from "vitest";
import type { PendingFile } from "../ledger/load-queue.ts";
import { nextLoad, retryAt, type CoalesceLimits } from "./load-plan.ts";

const NOW = Date.parse("2026-01-01T00:00:00Z");
const file = (id: number, over: Partial<PendingFile> = {}): PendingFile => ({
  id: String(id),
  schemaId: 7,
  state: "pending",
  rows: 100,
  attempts: 0,
  createdAt: new Date(NOW - 1000),
  nextAttemptAt: null,
  ...over,
});
const postgres: CoalesceLimits = { maxAgeMs: 0, minRows: 1, maxFiles: 3, maxRows: 1_000 };
const redshift: CoalesceLimits = { maxAgeMs: 60_000, minRows: 500, maxFiles: 64, maxRows: 100_000 };

describe("nextLoad", () => {
  it("loads the head with the following files of the same version, up to the limits", () => {
    const decision = nextLoad([file(1), file(2), file(3), file(4)], postgres, NOW);
    expect(decision).toEqual({ kind: "load", files: [file(1), file(2), file(3)] });
    expect(nextLoad([file(1), file(2, { schemaId: 8 }), file(3)], postgres, NOW)).toEqual({ kind: "load", files: [file(1)] });
    expect(nextLoad([file(1, { rows: 900 }), file(2, { rows: 200 })], postgres, NOW)).toEqual({ kind: "load", files: [file(1, { rows: 900 })] });
  });

  it("passes over a parked file: the files after it load", () => {
    expect(nextLoad([file(1, { state: "parked" }), file(2), file(3)], postgres, NOW)).toEqual({ kind: "load", files: [file(2), file(3)] });
    expect(nextLoad([file(1, { state: "parked" })], postgres, NOW)).toEqual({ kind: "idle" });
    expect(nextLoad([], postgres, NOW)).toEqual({ kind: "idle" });
  });

  it("passes over a file waiting out its backoff, then tries it alone", () => {
    const failed = file(1, { attempts: 2, nextAttemptAt: new Date(NOW + 5_000) });
    expect(nextLoad([failed, file(2), file(3)], postgres, NOW)).toEqual({ kind: "load", files: [file(2), file(3)] });
    expect(nextLoad([failed], postgres, NOW)).toEqual({ kind: "wait", untilMs: NOW + 5_000 });
    expect(nextLoad([failed, file(2)], postgres, NOW + 5_000)).toEqual({ kind: "load", files: [failed] });
  });

  it("lets small loads wait for more rows up to the age limit (Redshift), but not when more is queued", () => {
    expect(nextLoad([file(1), file(2)], redshift, NOW)).toEqual({ kind: "wait", untilMs: NOW - 1000 + 60_000 });
    expect(nextLoad([file(1), file(2)], redshift, NOW + 60_000)).toMatchObject({ kind: "load" });
    expect(nextLoad([file(1, { rows: 400 }), file(2, { rows: 400 })], redshift, NOW)).toMatchObject({ kind: "load" });
    expect(nextLoad([file(1), file(2, { schemaId: 8 })], redshift, NOW)).toMatchObject({ kind: "load", files: [file(1)] });
  });
});

describe("retryAt", () => {
  it("backs off exponentially with full jitter, up to the cap", () => {
    expect(retryAt(1, { baseMs: 1_000, maxMs: 60_000 }, NOW, () => 1).getTime()).toBe(NOW + 1_000);
    expect(retryAt(4, { baseMs: 1_000, maxMs: 60_000 }, NOW, () => 1).getTime()).toBe(NOW + 8_000);
    expect(retryAt(20, { baseMs: 1_000, maxMs: 60_000 }, NOW, () => 1).getTime()).toBe(NOW + 60_000);
    expect(retryAt(4, { baseMs: 1_000, maxMs: 60_000 }, NOW, () => 0).getTime()).toBe(NOW);
  });
});
