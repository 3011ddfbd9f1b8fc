import { describe, expect, it } from "vitest";
import { perSecond, progressDue, progressFrame, progressText, replayText, type ReplayReport } from "./replay-progress.ts";

const progress = { app: "acme", dryRun: false, files: 12, filesDone: 3, linesRead: 45_000, linesExpected: 120_000, replayed: 40_000, elapsedMs: 8_000 };

const report: ReplayReport = {
  app: "acme",
  topic: "raw.acme",
  from: "2024-05-01T10:00:00.000Z",
  to: "2024-05-01T12:00:00.000Z",
  entype: undefined,
  evname: undefined,
  dryRun: false,
  rate: 5000,
  files: 4,
  filesRead: 4,
  missingFiles: [],
  failedFiles: [],
  linesRead: 312,
  replayed: 300,
  outsideWindow: 12,
  notMatching: 0,
  unreadable: { lines: 0, byReason: {} },
  seconds: 0.1,
  eventsPerSecond: 3000,
};

describe("progress", () => {
  it("draws at once, then every quarter second on a terminal and every 5 s in a log", () => {
    expect(progressDue(undefined, 0, false)).toBe(true);
    expect(progressDue(0, 1_000, false)).toBe(false);
    expect(progressDue(0, 5_000, false)).toBe(true);
    expect(progressDue(0, 100, true)).toBe(false);
    expect(progressDue(0, 250, true)).toBe(true);
  });

  it("says files, events read of those the ledger counts, events replayed, the rate and the time", () => {
    expect(progressText(progress)).toBe("replay acme: 3/12 files, 45000/120000 events read (38%), 40000 replayed, 5000/s, 8 s");
    expect(progressText({ ...progress, dryRun: true, linesExpected: 0, elapsedMs: 0 })).toBe("replay acme (dry run): 3/12 files, 45000/0 events read (100%), 40000 picked, 0/s, 0 s");
  });

  it("is redrawn in place on a terminal, a line of its own in a log", () => {
    expect(progressFrame("x", true)).toBe("\r\x1b[Kx");
    expect(progressFrame("x", false)).toBe("x\n");
  });

  it("counts events per second, rounded", () => {
    expect(perSecond(5_000, 2_000)).toBe(2500);
    expect(perSecond(10, 0)).toBe(0);
  });
});

describe("replayText", () => {
  it("counts what was replayed, from how many files, what was left out, and the rate", () => {
    expect(replayText(report).split("\n")).toEqual([
      "replayed 300 events of acme to raw.acme (received 2024-05-01T10:00:00.000Z … 2024-05-01T12:00:00.000Z) in 0.1 s, 3000 events/s",
      "files: 4 read of 4",
      "left out: 12 received outside the window, 0 of other tables",
      "unreadable lines: none",
    ]);
  });

  it("names the table of a filtered replay, says a dry run sent nothing, and lists what could not be read", () => {
    const text = replayText({
      ...report,
      dryRun: true,
      entype: "user",
      filesRead: 2,
      missingFiles: ["raw/acme/2024/05/01/10/raw.acme+0+0-9.ndjson.gz"],
      failedFiles: [{ key: "raw/acme/2024/05/01/11/raw.acme+1+0-9.ndjson.gz", reason: "incorrect header check" }],
      notMatching: 7,
      unreadable: { lines: 3, byReason: { "not JSON": 2, "no id": 1 } },
    });
    expect(text.split("\n")).toEqual([
      "would replay 300 events of acme to raw.acme (received 2024-05-01T10:00:00.000Z … 2024-05-01T12:00:00.000Z, table user/*) in 0.1 s, 3000 events/s; nothing was sent",
      "files: 2 read of 4, 1 missing from the bucket, 1 not read to their end",
      "left out: 12 received outside the window, 7 of other tables",
      "unreadable lines: 3 (not JSON 2, no id 1)",
      "missing from the bucket: raw/acme/2024/05/01/10/raw.acme+0+0-9.ndjson.gz",
      "not read to its end: raw/acme/2024/05/01/11/raw.acme+1+0-9.ndjson.gz: incorrect header check",
    ]);
  });
});
