/**
 * `replay`: sends the app's archived events received in a window (of one table, if asked) to
 * raw.<app> again, so the pipeline rebuilds what the warehouse lost. Reads the archive's files the
 * batcher's ledger names `archived` (batcher-ledger.ts) from the bucket, one at a time, line by
 * line; sends through the shared batching sender (raw-sender.ts), throttled (throttle.ts). What to
 * send is replay-selection.ts'; what to say, replay-progress.ts'.
 *
 * Each event goes with its own id and received time, so running a replay again, or after it stopped
 * part-way, leaves one row per id. Nothing in a file stops the replay: a line that cannot be read
 * is counted by reason, a file missing from the bucket or not readable to its end is reported and
 * the next one read. A Kafka failure ends it (what was sent stays sent; run it again).
 */
import { pipeline } from "node:stream";
import type { Readable } from "node:stream";
import { createGunzip } from "node:zlib";
import { topicsFor } from "@schematizer/contracts";
import type { KafkaClient, Producer } from "@schematizer/kafka";
import type { ObjectStore } from "@schematizer/s3";
import type { Limits } from "@schematizer/schema";
import type pg from "pg";
import { archivedFiles, type ArchivedFileRow } from "./batcher-ledger.ts";
import { franzError } from "./franz-errors.ts";
import { ndjsonLines } from "./ndjson-lines.ts";
import { createRawSender, SEND_MESSAGES } from "./raw-sender.ts";
import { perSecond, progressDue, progressFrame, progressText, type ReplayProgress, type ReplayReport } from "./replay-progress.ts";
import { reasonKind, readReplayLine, replayFate, replayMessage, type ReplayFilter, type ReplayWindow } from "./replay-selection.ts";
import { batchLimit, createThrottle } from "./throttle.ts";

/**
 * Events per second a replay sends by default: about a partition's worth at the autoscaler's hot
 * threshold (FRANZ_MAX_RATE_PER_PARTITION), so the sqlizer and the batcher keep up with the live
 * events beside it and freshness holds.
 */
export const DEFAULT_REPLAY_RATE = 5_000;
/** Unreadable lines told one by one; the rest are only counted. */
const TOLD_LINES = 10;
/** Lines between two progress reports. */
const PROGRESS_EVERY = 500;
/** Postgres's undefined_table. */
const UNDEFINED_TABLE = "42P01";

export interface ReplayDeps {
  /** The control database, holding the batcher's ledger in `ledgerSchema` (BATCHER_SCHEMA). */
  pool: pg.Pool;
  ledgerSchema: string;
  /** The bucket the batcher archives to (S3_BUCKET). */
  store: Pick<ObjectStore, "getStream">;
  kafka: Pick<KafkaClient, "producer">;
  topicPrefix: string;
  /** EVENT_MAX_BYTES: sizes each send. */
  eventMaxBytes: number;
  /** The sqlizer's event limits, to parse events for --entype/--evname. */
  limits: Limits;
  /** Told where the replay is, often; the caller decides when to show it (`stderrProgress`). */
  onProgress?: (progress: ReplayProgress) => void;
  /** Told each file missing or not read to its end, and the first unreadable lines. */
  onWarning?: (text: string) => void;
}

export interface ReplayOptions {
  window: ReplayWindow;
  filter: ReplayFilter;
  dryRun: boolean;
  /** Events per second, at most. */
  rate: number;
}

/** Thrown by a file's lines when the file cannot be read on (the bucket, or its gzip). */
class FileUnreadable extends Error {}

/**
 * Replays the app's archived events of the window; resolves with what it did once Kafka
 * acknowledged every send. On a dry run it reads and counts, and sends nothing.
 *
 * @example
 * const report = await replayArchive(deps, "acme", { window, filter: {}, dryRun: false, rate: 5000 });
 * report.replayed; // 48000
 */
export async function replayArchive(deps: ReplayDeps, app: string, options: ReplayOptions): Promise<ReplayReport> {
  const started = performance.now();
  const topic = topicsFor(app, deps.topicPrefix).raw;
  const files = await archiveFiles(deps, app, options.window);
  const report: ReplayReport = {
    app,
    topic,
    from: new Date(options.window.fromMs).toISOString(),
    to: new Date(options.window.toMs).toISOString(),
    entype: options.filter.entype,
    evname: options.filter.evname,
    dryRun: options.dryRun,
    rate: options.rate,
    files: files.length,
    filesRead: 0,
    missingFiles: [],
    failedFiles: [],
    linesRead: 0,
    replayed: 0,
    outsideWindow: 0,
    notMatching: 0,
    unreadable: { lines: 0, byReason: {} },
    seconds: 0,
    eventsPerSecond: 0,
  };
  const linesExpected = files.reduce((n, f) => n + f.events, 0);
  const warn = deps.onWarning ?? (() => undefined);
  const throttle = createThrottle(options.rate);
  const producer: Producer | undefined = options.dryRun ? undefined : await deps.kafka.producer();
  const sender =
    producer &&
    createRawSender(producer, topic, { eventMaxBytes: deps.eventMaxBytes, maxMessages: batchLimit(options.rate, SEND_MESSAGES), beforeSend: (n) => throttle.take(n) });
  let filesDone = 0;
  const progress = () => {
    if (sender) report.replayed = sender.sent;
    deps.onProgress?.({ app, dryRun: options.dryRun, files: files.length, filesDone, linesRead: report.linesRead, linesExpected, replayed: report.replayed, elapsedMs: performance.now() - started });
  };

  try {
    progress();
    for (const file of files) {
      let line = 0;
      try {
        const body = await openFile(deps.store, file.objectKey);
        if (body === undefined) {
          report.missingFiles.push(file.objectKey);
          warn(`missing from the bucket: ${file.objectKey} (${file.events} events)`);
        } else {
          for await (const text of fileLines(body)) {
            line++;
            report.linesRead++;
            const read = readReplayLine(text, app);
            if (!read.ok) {
              const kind = reasonKind(read.reason);
              report.unreadable.byReason[kind] = (report.unreadable.byReason[kind] ?? 0) + 1;
              if (report.unreadable.lines++ < TOLD_LINES) warn(`unreadable line ${line} of ${file.objectKey}: ${read.reason}`);
            } else {
              const fate = replayFate(read.event, options.window, options.filter, deps.limits);
              if (fate === "outside_window") report.outsideWindow++;
              else if (fate === "not_matching") report.notMatching++;
              else if (sender) await sender.add(replayMessage(read.event));
              else report.replayed++;
            }
            if (line % PROGRESS_EVERY === 0) progress();
          }
          report.filesRead++;
        }
      } catch (error) {
        if (!(error instanceof FileUnreadable)) throw error;
        report.failedFiles.push({ key: file.objectKey, reason: error.message });
        warn(`not read to its end: ${file.objectKey} (after line ${line}): ${error.message}`);
      }
      filesDone++;
      progress();
    }
    await sender?.flush();
    progress();
  } finally {
    await producer?.close();
  }
  const elapsedMs = performance.now() - started;
  report.seconds = Math.round(elapsedMs / 100) / 10;
  report.eventsPerSecond = perSecond(report.replayed, elapsedMs);
  return report;
}

/** The app's archived files meeting the window; FRANZ_BAD_REQUEST when the ledger has no archive. */
async function archiveFiles(deps: ReplayDeps, app: string, window: ReplayWindow): Promise<ArchivedFileRow[]> {
  try {
    return await archivedFiles(deps.pool, deps.ledgerSchema, app, window);
  } catch (error) {
    if ((error as { code?: unknown }).code !== UNDEFINED_TABLE) throw error;
    throw franzError("FRANZ_BAD_REQUEST", `no raw archive in schema ${deps.ledgerSchema} (BATCHER_SCHEMA): the batcher has not run against this database with an archive`);
  }
}

/** The object's bytes, or undefined when the bucket has no such key; any other failure of the bucket is FileUnreadable. */
async function openFile(store: ReplayDeps["store"], key: string): Promise<Readable | undefined> {
  try {
    return await store.getStream(key);
  } catch (error) {
    throw new FileUnreadable(messageOf(error));
  }
}

/** A gzip NDJSON object's lines; a failure to read it (the bucket's, or a bad gzip) is FileUnreadable. */
async function* fileLines(body: Readable): AsyncGenerator<string> {
  try {
    yield* ndjsonLines(pipeline(body, createGunzip(), () => undefined));
  } catch (error) {
    throw new FileUnreadable(messageOf(error));
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Shows progress on stderr: redrawn in place on a terminal, a line every few seconds otherwise;
 * `done` ends the line on a terminal.
 *
 * @example
 * const shown = stderrProgress(process.stderr);
 * await replayArchive({ ...deps, onProgress: shown.update }, "acme", options);
 * shown.done();
 */
export function stderrProgress(stream: NodeJS.WriteStream): { update: (p: ReplayProgress) => void; done: () => void; warn: (text: string) => void } {
  const tty = stream.isTTY === true;
  let last: number | undefined;
  let latest: ReplayProgress | undefined;
  let drawn = false;
  const draw = (p: ReplayProgress) => {
    stream.write(progressFrame(progressText(p), tty));
    drawn = tty;
  };
  return {
    update(p) {
      latest = p;
      const now = performance.now();
      if (!progressDue(last, now, tty)) return;
      last = now;
      draw(p);
    },
    done() {
      if (latest) draw(latest);
      if (drawn) stream.write("\n");
    },
    warn(text) {
      if (drawn) stream.write("\n");
      drawn = false;
      stream.write(`franz: replay: ${text}\n`);
    },
  };
}
