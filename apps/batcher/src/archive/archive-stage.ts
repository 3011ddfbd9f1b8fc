/**
 * The raw archive's stage: records of `raw.<app>` → gzip NDJSON files in S3, one per hour received
 * in each range → the range committed in the ledger, fenced like stage 1's (archive-ledger.ts).
 *
 * As in stage 1, the handler resolves only once every record of the fetched batch is in a
 * committed range, so the group's Kafka offsets never run ahead of the ledger, and records the
 * ledger already covers (read again after a crash or a rebalance) are skipped. Each file is named
 * in the ledger before its upload; a range fenced out deletes its files, and files a crash left
 * are deleted by the sweep (archive-sweep.ts), so every event ends in exactly one archived file.
 *
 * Nothing in a record can make archiving fail: every record has a line (bytes that are not UTF-8
 * are kept as base64). So a failure is the bucket's or the control database's, and is retried with
 * backoff, counted (`archiver_write_failures_total`) and alerted on, for as long as it lasts; the
 * live pipeline reads raw.<app> in its own group and does not wait for the archive.
 */
import { promisify } from "node:util";
import { gzip as gzipCallback } from "node:zlib";
import { archiveKey, receivedAtMs } from "@schematizer/contracts";
import { retry } from "@schematizer/errors";
import type { BatchContext, ConsumedMessage, MessageBatch } from "@schematizer/kafka";
import type { Logger } from "@schematizer/observability";
import type { ObjectStore } from "@schematizer/s3";
import { batcherError } from "../batcher-codes.ts";
import type { CrashHook } from "../crash-points.ts";
import type { ArchiveFile, ArchiveLedger, ArchiveRange } from "../ledger/archive-ledger.ts";
import type { RangeLedger } from "../ledger/range-ledger.ts";
import { firstUncovered, rangeStart } from "../ledger/range-fence.ts";
import { ArchiveBuffer } from "./archive-buffer.ts";
import type { ArchiverMetrics } from "./archiver-metrics.ts";

const gzip = promisify(gzipCallback);
/** Records turned into lines between yields to the event loop. */
const YIELD_EVERY = 2_000;

export interface ArchiveStageDeps {
  readonly ranges: Pick<RangeLedger, "partitionEnd">;
  readonly archive: ArchiveLedger;
  readonly store: ObjectStore;
  readonly gzipLevel: number;
  /** Uncompressed bytes of lines before a range is cut. */
  readonly maxRangeBytes: number;
  readonly metrics: ArchiverMetrics;
  readonly log: Logger;
  readonly crash: CrashHook;
  /** The app a topic belongs to, or undefined for a topic that is not an app's raw topic. */
  readonly appOf: (topic: string) => string | undefined;
  /** Backoff of failed writes (default 200 ms doubling to 30 s). */
  readonly backoff?: { readonly baseMs: number; readonly maxMs: number };
  readonly now?: () => number;
}

/** What one fetched batch became. */
export interface ArchiveOutcome {
  readonly skipped: number;
  readonly ranges: number;
  readonly events: number;
  readonly fenced: number;
}

/**
 * The archive's handler: resolves when every record of `batch` is in a committed range.
 *
 * @example
 * ```ts
 * const stage = createArchiveStage({ ranges: ledger.ranges, archive: ledger.archive, store, gzipLevel: 6, maxRangeBytes: 64 << 20, metrics, log, crash: noCrash, appOf });
 * await consumer.run((batch, context) => stage(batch, context).then(() => undefined));
 * ```
 */
export function createArchiveStage(deps: ArchiveStageDeps): (batch: MessageBatch, context: BatchContext) => Promise<ArchiveOutcome> {
  const { archive, store, metrics, log } = deps;
  const backoff = deps.backoff ?? { baseMs: 200, maxMs: 30_000 };
  const now = deps.now ?? Date.now;

  /** The range's files, gzipped, and the range as the ledger records it. */
  async function encode(range: ArchiveBuffer, unseen: bigint): Promise<{ committing: ArchiveRange; bodies: Buffer[] }> {
    const last = range.last as string;
    const hours = range.files();
    const bodies = await Promise.all(hours.map((f) => gzip(f.ndjson.view(), { level: deps.gzipLevel })));
    const files = hours.map(
      (f, i): ArchiveFile => ({
        objectKey: archiveKey({ app: range.app, hourMs: f.hourMs, topic: range.topic, partition: range.partition, first: range.first.toString(), last }),
        app: range.app,
        first: f.first,
        last: f.last,
        events: f.events,
        bytes: (bodies[i] as Buffer).length,
        hourMs: f.hourMs,
        oldestReceivedMs: f.oldestReceivedMs,
        newestReceivedMs: f.newestReceivedMs,
      }),
    );
    const committing = { topic: range.topic, partition: range.partition, first: range.first, last: BigInt(last), unseen, skipped: range.records - range.events(), files };
    return { committing, bodies };
  }

  /** Writes a range's files and commits it; false when another consumer committed first. */
  async function flush(range: ArchiveBuffer, unseen: bigint): Promise<boolean> {
    const { committing, bodies } = await encode(range, unseen);
    await archive.intend(committing);
    deps.crash("archive-before-upload");
    await Promise.all(committing.files.map((f, i) => store.put(f.objectKey, bodies[i] as Buffer, { contentType: "application/x-ndjson" })));
    deps.crash("archive-after-upload");
    if (!(await archive.commit(committing))) {
      metrics.fenced.inc({ topic: range.topic });
      const leftovers = await archive.abandon(committing);
      if (leftovers.length > 0) await store.delete(leftovers);
      log.warn({ topic: range.topic, partition: range.partition, first: range.first.toString(), last: range.last }, "archive range already committed by another consumer; its files deleted");
      return false;
    }
    deps.crash("archive-after-ledger");
    for (const f of committing.files) {
      metrics.eventsArchived.inc({ app: range.app }, f.events);
      metrics.filesArchived.inc({ app: range.app });
      metrics.bytesArchived.inc({ app: range.app }, f.bytes);
    }
    for (const [reason, n] of Object.entries(range.skipped)) if (n > 0) metrics.eventsSkipped.inc({ app: range.app, reason }, n);
    if (unseen > 0n) log.warn({ topic: range.topic, partition: range.partition, first: range.first.toString(), unseen: unseen.toString() }, "archive range covers offsets with no record to read");
    return true;
  }

  return async function stage(batch, context) {
    const started = performance.now();
    const app = deps.appOf(batch.topic);
    const outcome = { skipped: 0, ranges: 0, events: 0, fenced: 0 };
    if (app === undefined || batch.messages.length === 0) return outcome;
    const trying = (what: string) => ({
      attempts: Number.POSITIVE_INFINITY,
      baseDelayMs: backoff.baseMs,
      maxDelayMs: backoff.maxMs,
      retryIf: () => true,
      onRetry: (error: unknown, attempt: number) => {
        metrics.writeFailures.inc({ topic: batch.topic });
        log.warn({ err: error, topic: batch.topic, partition: batch.partition, attempt }, `${what} failed; retrying`);
        if (!context.isRunning()) throw batcherError("BATCHER_STOPPING", "consumer stopping; the batch will be read again", { cause: error });
      },
    });
    const partitionEnd = () => retry(() => deps.ranges.partitionEnd(batch.topic, batch.partition), trying("reading the archive's end"));

    let messages = batch.messages;
    let end = await partitionEnd();
    for (;;) {
      const from = firstUncovered(messages, end);
      outcome.skipped += from;
      if (from > 0) metrics.recordsSkipped.inc({ topic: batch.topic }, from);
      messages = messages.slice(from);
      if (messages.length === 0) break;
      const { first, unseen } = rangeStart(end, BigInt((messages[0] as ConsumedMessage).offset));
      const range = new ArchiveBuffer(app, batch.topic, batch.partition, first);
      for (const message of messages) {
        if (range.records > 0 && range.records % YIELD_EVERY === 0) await new Promise<void>((resolve) => setImmediate(resolve));
        range.add(message);
        if (range.bytes >= deps.maxRangeBytes) break;
      }
      const committed = await retry(() => flush(range, unseen), trying("writing an archive range"));
      await context.heartbeat();
      if (committed) {
        outcome.ranges++;
        outcome.events += range.events();
        end = BigInt(range.last as string);
        messages = messages.slice(range.records);
      } else {
        outcome.fenced++;
        end = await partitionEnd();
      }
    }
    const last = batch.messages.at(-1) as ConsumedMessage;
    const waiting = Math.max(0, Number(BigInt(batch.highWatermark) - BigInt(last.offset) - 1n));
    metrics.lagMessages.set(batch.topic, batch.partition, waiting);
    metrics.lagSeconds.set(batch.topic, batch.partition, waiting === 0 ? 0 : Math.max(0, (now() - newestReceived(batch.messages)) / 1000));
    metrics.flushSeconds.observe((performance.now() - started) / 1000);
    deps.crash("archive-before-commit");
    return outcome;
  };
}

/** The latest received time among the records (epoch ms). */
function newestReceived(messages: readonly ConsumedMessage[]): number {
  let newest = 0;
  for (const m of messages) {
    newest = Math.max(newest, receivedAtMs(m.headers, m.timestamp));
  }
  return newest;
}
