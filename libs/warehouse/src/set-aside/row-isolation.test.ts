import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { csvRecords, recordAtLine, recordBytes } from "./csv-records.ts";
import { attemptBudget, isolateRefusedRows, type Attempt } from "./row-isolation.ts";

describe("csvRecords", () => {
  it("splits records at newlines outside quotes and counts the physical lines each spans", () => {
    const text = Buffer.from('a,1\n"b\nc",2\n"say ""hi""\n\n",3\nd,4');
    const records = csvRecords(text);
    expect(records.length).toBe(4);
    expect(records.lastLines).toEqual([1, 3, 6, 7]);
    expect([0, 1, 2, 3].map((i) => recordBytes(text, records, i, i + 1).toString())).toEqual(['a,1\n', '"b\nc",2\n', '"say ""hi""\n\n",3\n', "d,4"]);
    expect(recordBytes(text, records, 1, 3).toString()).toBe('"b\nc",2\n"say ""hi""\n\n",3\n');
  });

  it("finds the record on a physical line of a slice, as Postgres numbers the lines of what it was sent", () => {
    const records = csvRecords(Buffer.from('a,1\n"b\nc",2\nd,3\n'));
    expect([1, 2, 3, 4, 5].map((line) => recordAtLine(records, 0, 3, line))).toEqual([0, 1, 1, 2, undefined]);
    // The slice starting at record 1: its line 1 is the file's line 2.
    expect([1, 2, 3, 4].map((line) => recordAtLine(records, 1, 3, line))).toEqual([1, 1, 2, undefined]);
    expect(recordAtLine(records, 0, 3, 0)).toBeUndefined();
  });
});

/** How the simulated warehouse names the line of a failure. */
type Naming = "exact" | "none" | "past-the-end" | "wrong-record";

/**
 * A warehouse that refuses the records in `bad`: a slice fails when it holds one, naming a line
 * as `naming` says (Postgres names the culprit's line for a bad value, the last line read for a
 * row too big).
 */
function warehouse(lines: readonly number[], bad: ReadonlySet<number>, naming: Naming) {
  const records = csvRecords(Buffer.from(lines.map((n) => (n === 1 ? "x\n" : `"${"\n".repeat(n - 1)}"\n`)).join("")));
  const kept: number[] = [];
  const attempt: Attempt = async (from, to, keep) => {
    const culprit = [...bad].filter((i) => i >= from && i < to).sort((a, b) => a - b)[0];
    if (culprit === undefined) {
      if (keep) for (let i = from; i < to; i++) kept.push(i);
      return { ok: true, inserted: keep ? to - from : 0 };
    }
    const before = from === 0 ? 0 : (records.lastLines[from - 1] as number);
    const lineOf = (i: number) => (records.lastLines[i] as number) - before;
    const line =
      naming === "exact" ? lineOf(culprit) : naming === "past-the-end" ? lineOf(to - 1) + 1 : naming === "wrong-record" ? lineOf(culprit === from ? to - 1 : from) : undefined;
    return { ok: false, error: Object.assign(new Error(`record ${culprit} refused`), { code: "22P02" }), ...(line === undefined ? {} : { line }) };
  };
  return { records, attempt, kept };
}

const isRowError = (error: unknown) => (error as { code?: string }).code === "22P02";

describe("isolateRefusedRows", () => {
  it("sets aside exactly the refused records, loads every other once and in file order, within the attempt budget", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 300 }),
        fc.array(fc.nat(), { maxLength: 12 }),
        fc.constantFrom<Naming>("exact", "none", "past-the-end", "wrong-record"),
        async (lines, picks, naming) => {
          const bad = new Set(picks.map((p) => p % lines.length));
          const w = warehouse(lines, bad, naming);
          const result = await isolateRefusedRows(w.records, w.attempt, { maxBadRows: 12, isRowError, label: "f" });
          const good = lines.map((_, i) => i).filter((i) => !bad.has(i));
          expect(result.refused.map((r) => r.index)).toEqual([...bad].sort((a, b) => a - b));
          expect(w.kept).toEqual(good);
          expect(result.loaded).toBe(good.length);
          expect(result.inserted).toBe(good.length);
          expect(result.attempts).toBeLessThanOrEqual(attemptBudget(lines.length, 12));
        },
      ),
      { seed: 1301, numRuns: 300 },
    );
  });

  it("needs one attempt for a clean file, and few per bad row when the warehouse names its line", async () => {
    const clean = warehouse(Array(1000).fill(1), new Set(), "exact");
    expect((await isolateRefusedRows(clean.records, clean.attempt, { maxBadRows: 10, isRowError, label: "f" })).attempts).toBe(1);
    const named = warehouse(Array(1000).fill(1), new Set([10, 500, 999]), "exact");
    expect((await isolateRefusedRows(named.records, named.attempt, { maxBadRows: 10, isRowError, label: "f" })).attempts).toBeLessThanOrEqual(3 * 3 + 1);
  });

  it("gives the file up past maxBadRows, saying how many and the first reason", async () => {
    const w = warehouse(Array(50).fill(1), new Set([3, 4, 5, 6]), "none");
    await expect(isolateRefusedRows(w.records, w.attempt, { maxBadRows: 3, isRowError, label: "loads/acme/t.csv.gz" })).rejects.toMatchObject({
      code: "BATCHER_TOO_MANY_BAD_ROWS",
      retriable: false,
      message: expect.stringMatching(/^loads\/acme\/t\.csv\.gz: more than 3 of its rows were refused; the first \(record 4\): record 3 refused$/),
    });
  });

  it("stops at the first error that is not the rows' and throws it", async () => {
    const lost = Object.assign(new Error("Connection terminated unexpectedly"), {});
    let calls = 0;
    const attempt: Attempt = async () => (++calls === 1 ? { ok: false, error: Object.assign(new Error("bad"), { code: "22P02" }) } : { ok: false, error: lost });
    await expect(isolateRefusedRows(csvRecords(Buffer.from("a\nb\nc\n")), attempt, { maxBadRows: 5, isRowError, label: "f" })).rejects.toBe(lost);
    expect(calls).toBe(2);
  });
});
