/**
 * What `replay` tells the operator: a progress line on stderr while it runs (redrawn in place on a
 * terminal, one line every few seconds otherwise) and its count at the end. Pure.
 */

/** Milliseconds between progress draws: on a terminal, and in a log. */
const REDRAW_MS = { tty: 250, log: 5_000 } as const;

/** Where a replay is. */
export interface ReplayProgress {
  readonly app: string;
  readonly dryRun: boolean;
  readonly files: number;
  readonly filesDone: number;
  /** Lines read, and the events the ledger says the files hold. */
  readonly linesRead: number;
  readonly linesExpected: number;
  /** Sent and acknowledged (on a dry run: picked). */
  readonly replayed: number;
  readonly elapsedMs: number;
}

/** What a replay did, or would do on a dry run. */
export interface ReplayReport {
  app: string;
  topic: string;
  /** The window of received times, ISO 8601, from inclusive, to exclusive. */
  from: string;
  to: string;
  entype: string | undefined;
  evname: string | undefined;
  dryRun: boolean;
  /** Events per second sent at most. */
  rate: number;
  /** Archived files whose received times meet the window. */
  files: number;
  /** Of them, read to their end. */
  filesRead: number;
  /** Named archived by the ledger, but not in the bucket. */
  missingFiles: string[];
  /** Files that could not be read to their end (the lines before were taken). */
  failedFiles: { key: string; reason: string }[];
  linesRead: number;
  /** Sent again to raw.<app> (on a dry run: that would be). */
  replayed: number;
  outsideWindow: number;
  /** Events of other tables than --entype/--evname name, or that do not parse to one. */
  notMatching: number;
  unreadable: { lines: number; byReason: Record<string, number> };
  seconds: number;
  eventsPerSecond: number;
}

/**
 * Whether a progress line is due, the last one drawn at `lastMs` (undefined: none yet).
 *
 * @example
 * progressDue(undefined, 0, false); // true
 * progressDue(0, 1_000, false); // false: a line every 5 s in a log
 * progressDue(0, 1_000, true); // true
 */
export function progressDue(lastMs: number | undefined, nowMs: number, tty: boolean): boolean {
  return lastMs === undefined || nowMs - lastMs >= (tty ? REDRAW_MS.tty : REDRAW_MS.log);
}

/**
 * The progress line.
 *
 * @example
 * progressText({ app: "acme", dryRun: false, files: 12, filesDone: 3, linesRead: 45_000, linesExpected: 120_000, replayed: 40_000, elapsedMs: 8_000 });
 * // "replay acme: 3/12 files, 45000/120000 events read (38%), 40000 replayed, 5000/s, 8 s"
 */
export function progressText(p: ReplayProgress): string {
  const percent = p.linesExpected === 0 ? 100 : Math.min(100, Math.round((100 * p.linesRead) / p.linesExpected));
  return (
    `replay ${p.app}${p.dryRun ? " (dry run)" : ""}: ${p.filesDone}/${p.files} files, ${p.linesRead}/${p.linesExpected} events read (${percent}%), ` +
    `${p.replayed} ${p.dryRun ? "picked" : "replayed"}, ${perSecond(p.replayed, p.elapsedMs)}/s, ${Math.round(p.elapsedMs / 1000)} s`
  );
}

/**
 * The progress line as written to stderr: redrawn in place on a terminal, a line of its own in a log.
 *
 * @example
 * progressFrame("replay acme: …", true); // "\r\x1b[Kreplay acme: …"
 */
export function progressFrame(text: string, tty: boolean): string {
  return tty ? `\r\x1b[K${text}` : `${text}\n`;
}

/**
 * Events per second, rounded.
 *
 * @example
 * perSecond(5_000, 2_000); // 2500
 */
export function perSecond(events: number, elapsedMs: number): number {
  return elapsedMs <= 0 ? 0 : Math.round((events * 1000) / elapsedMs);
}

/**
 * The count printed at the end.
 *
 * @example
 * replayText(report);
 * // replayed 300 events of acme to raw.acme (received 2024-05-01T10:00:00.000Z … 2024-05-01T12:00:00.000Z) in 0.1 s, 3000 events/s
 * // files: 4 read of 4
 * // left out: 12 received outside the window, 0 of other tables
 * // unreadable lines: none
 */
export function replayText(r: ReplayReport): string {
  const table = r.entype === undefined && r.evname === undefined ? "" : `, table ${r.entype ?? "*"}/${r.evname ?? "*"}`;
  const counts = (byReason: Record<string, number>) => Object.entries(byReason).map(([reason, n]) => `${reason} ${n}`).join(", ");
  return [
    `${r.dryRun ? "would replay" : "replayed"} ${r.replayed} events of ${r.app} to ${r.topic} (received ${r.from} … ${r.to}${table}) in ${r.seconds} s, ` +
      `${r.eventsPerSecond} events/s${r.dryRun ? "; nothing was sent" : ""}`,
    `files: ${r.filesRead} read of ${r.files}${r.missingFiles.length > 0 ? `, ${r.missingFiles.length} missing from the bucket` : ""}${
      r.failedFiles.length > 0 ? `, ${r.failedFiles.length} not read to their end` : ""
    }`,
    `left out: ${r.outsideWindow} received outside the window, ${r.notMatching} of other tables`,
    `unreadable lines: ${r.unreadable.lines === 0 ? "none" : `${r.unreadable.lines} (${counts(r.unreadable.byReason)})`}`,
    ...r.missingFiles.map((key) => `missing from the bucket: ${key}`),
    ...r.failedFiles.map((f) => `not read to its end: ${f.key}: ${f.reason}`),
  ].join("\n");
}
