/**
 * Stage 1: records of `sql.<app>` → gzip CSV files in S3 → a fenced ledger row.
 *
 * The consumer commits a fetched batch's offsets as soon as its handler resolves, so the handler
 * resolves only once every record of the batch is covered by the ledger: Kafka offsets then never
 * run ahead of the ledger, and a crash at any point re-reads rather than loses. Records the ledger
 * already covers (read again after a crash or a rebalance) are skipped. A fetched batch is cut into
 * ranges when a file reaches its row or byte limit; each range is one ledger commit.
 *
 * No record may hold its partition for ever, so each step that depends on the records is settled
 * (libs/errors' `settle`): an outage of S3 or the control database is waited out, however long;
 * an error of the records' own, or one that repeats while both answer, is theirs. A schema version
 * that cannot be read then rejects the records naming it (BATCHER_SCHEMA_UNREADABLE); a range that
 * cannot be written is cut in half until the record at fault is alone, and that record is kept as
 * rejected (BATCHER_STAGE_FAILED), its bytes under `rejects/`. The one step no record can cause,
 * reading the partition's ledger end, is retried whatever the error: waiting is all it can do.
 */
import { promisify } from "node:util";
import { gzip as gzipCallback } from "node:zlib";
import { retry, settle, type SettleOptions } from "@schematizer/errors";
import type { BatchContext, ConsumedMessage, MessageBatch } from "@schematizer/kafka";
import type { Logger } from "@schematizer/observability";
import type { ObjectStore } from "@schematizer/s3";
import { confluentFrame } from "@schematizer/contracts";
import type { RejectedRecord } from "../ledger/range-ledger.ts";
import { RangeBuffer, type FileBuffer, type FileLimits } from "./range-buffer.ts";
import { fileKeys, rejectsKey } from "./file-keys.ts";
import { copyManifest } from "@schematizer/warehouse";
import { batcherError, type BatcherCode } from "../batcher-codes.ts";
import type { BatcherMetrics } from "../batcher-metrics.ts";
import type { CrashHook } from "../crash-points.ts";
import type { Ledger, NewFile } from "../ledger/ledger.ts";
import { firstUncovered, rangeStart } from "../ledger/range-fence.ts";
import { answers } from "@schematizer/warehouse";
import type { SchemaVersions, VersionInfo } from "../schema-versions.ts";

const gzip = promisify(gzipCallback);
/** Records transcoded between yields to the event loop. */
const YIELD_EVERY = 2_000;

export interface StageToS3Deps {
  readonly ledger: Ledger;
  readonly store: ObjectStore;
  readonly versions: SchemaVersions;
  readonly limits: FileLimits;
  readonly gzipLevel: number;
  readonly metrics: BatcherMetrics;
  readonly log: Logger;
  readonly crash: CrashHook;
  /** The app a topic belongs to, or undefined for a topic that is not an app's sql topic. */
  readonly appOf: (topic: string) => string | undefined;
  /** Failures of one step, while S3 and the control database answer, before they are the records' fault (default 5). */
  readonly maxRepeats?: number;
  /** Backoff of failed steps (default 200 ms doubling to 30 s). */
  readonly backoff?: { readonly baseMs: number; readonly maxMs: number };
}

/** A schema version that could not be read, and why. */
interface Unreadable {
  readonly unreadable: string;
}

/** What one fetched batch became. */
export interface StageOutcome {
  readonly skipped: number;
  readonly ranges: number;
  readonly rows: number;
  readonly fenced: number;
}

/**
 * The stage-1 handler: resolves when every record of `batch` is in a committed ledger range, as a
 * row or as a rejected record. Infrastructure failures (S3, the control database, the registry)
 * are retried with backoff while the consumer is running; the batch is then read again from Kafka
 * if it stops.
 *
 * @example
 * ```ts
 * const stage = createStageToS3({ ledger, store, versions, limits, gzipLevel: 1, metrics, log, crash: noCrash, appOf });
 * await consumer.run((batch, context) => stage(batch, context).then(() => undefined));
 * ```
 */
export function createStageToS3(deps: StageToS3Deps): (batch: MessageBatch, context: BatchContext) => Promise<StageOutcome> {
  const { ledger, store, metrics, log } = deps;
  const backoff = deps.backoff ?? { baseMs: 200, maxMs: 30_000 };

  /** Whether what stage 1 writes to answers now: the control database and the bucket. */
  async function dependenciesAnswer(): Promise<boolean> {
    const [control, bucket] = await Promise.all([ledger.probe().catch(() => false), answers([store.head("_sz_probe")])]);
    return control && bucket;
  }

  async function schemasOf(messages: readonly ConsumedMessage[], settling: SettleOptions): Promise<Map<number, VersionInfo | Unreadable | undefined>> {
    const ids = new Set<number>();
    for (const m of messages) {
      const frame = m.value === null ? undefined : confluentFrame(m.value);
      if (frame !== undefined) ids.add(frame.schemaId);
    }
    const found = new Map<number, VersionInfo | Unreadable | undefined>();
    await Promise.all(
      [...ids].map(async (id) => {
        const read = await settle(() => deps.versions.versionById(id), settling);
        found.set(id, read.ok ? read.value : { unreadable: read.error instanceof Error ? read.error.message : String(read.error) });
      }),
    );
    return found;
  }

  /** The record's schema version, or why it has none. */
  function frame(app: string, message: ConsumedMessage, versions: Map<number, VersionInfo | Unreadable | undefined>): { version: VersionInfo; schemaId: number; payload: Uint8Array } | RejectedRecord {
    const framed = message.value === null ? undefined : confluentFrame(message.value);
    if (framed === undefined) return rejectedRecord(message, "BATCHER_NOT_CONFLUENT", "value is not in the Confluent wire format (magic byte 0, schema id)");
    const version = versions.get(framed.schemaId);
    if (version === undefined) return rejectedRecord(message, "BATCHER_UNKNOWN_SCHEMA", `schema id ${framed.schemaId} is not in the registry`);
    if ("unreadable" in version) return rejectedRecord(message, "BATCHER_SCHEMA_UNREADABLE", `schema id ${framed.schemaId} could not be read: ${version.unreadable}`);
    if (version.app !== app) return rejectedRecord(message, "BATCHER_WRONG_APP", `schema id ${framed.schemaId} belongs to app ${version.app}, not ${app}`);
    return { version, schemaId: framed.schemaId, payload: framed.payload };
  }

  async function upload(file: FileBuffer, range: RangeBuffer, last: string): Promise<NewFile> {
    const keys = fileKeys({ app: file.app, table: file.table, version: file.version, topic: range.topic, partition: range.partition, first: range.first.toString(), last });
    const t0 = performance.now();
    const body = await gzip(file.csv.view(), { level: deps.gzipLevel });
    const t1 = performance.now();
    const meta = {
      app: file.app,
      table: file.table,
      version: file.version,
      schemaId: file.schemaId,
      columns: file.columns,
      rows: file.rows,
      topic: range.topic,
      partition: range.partition,
      firstOffset: range.first.toString(),
      lastOffset: last,
      format: "csv",
      compression: "gzip",
    };
    await Promise.all([
      store.put(keys.data, body, {
        contentType: "text/csv",
        metadata: {
          table: file.table,
          version: String(file.version),
          "schema-id": String(file.schemaId),
          rows: String(file.rows),
          topic: range.topic,
          partition: String(range.partition),
          "first-offset": range.first.toString(),
          "last-offset": last,
        },
      }),
      store.put(keys.manifest, JSON.stringify(copyManifest(store.bucket, [{ key: keys.data, bytes: body.length }])), { contentType: "application/json" }),
      store.put(keys.meta, JSON.stringify(meta), { contentType: "application/json" }),
    ]);
    log.debug({ key: keys.data, gzipMs: Math.round(t1 - t0), putMs: Math.round(performance.now() - t1), bytes: body.length }, "file uploaded");
    return {
      app: file.app,
      table: file.table,
      version: file.version,
      schemaId: file.schemaId,
      dataKey: keys.data,
      manifestKey: keys.manifest,
      metaKey: keys.meta,
      columns: file.columns,
      rows: file.rows,
      csvBytes: file.csvBytes,
      gzipBytes: body.length,
      oldestReceivedAt: file.oldestReceivedAt,
    };
  }

  /** Uploads a range's files and commits it; false when another consumer committed first. */
  async function flush(app: string, range: RangeBuffer, unseen: bigint): Promise<boolean> {
    const last = range.last as string;
    const files = range.files();
    deps.crash("before-upload");
    const started = performance.now();
    const uploaded = await Promise.all(files.map((f) => upload(f, range, last)));
    let rejected: (RejectedRecord & { app: string; objectKey: string })[] = [];
    if (range.rejected.length > 0) {
      const key = rejectsKey(app, range.topic, range.partition, range.first.toString(), last);
      const lines = range.rejected.map((r) => `${JSON.stringify(r)}\n`).join("");
      await store.put(key, await gzip(Buffer.from(lines, "utf8")), { contentType: "application/x-ndjson" });
      rejected = range.rejected.map((r) => ({ ...r, app, objectKey: key }));
    }
    metrics.uploadSeconds.observe((performance.now() - started) / 1000);
    log.debug({ topic: range.topic, partition: range.partition, first: range.first.toString(), last, files: files.length }, "uploaded");
    deps.crash("after-upload");
    const committed = await ledger.ranges.commitRange({
      topic: range.topic,
      partition: range.partition,
      first: range.first,
      last: BigInt(last),
      unseen,
      files: uploaded,
      rejected,
    });
    if (!committed) {
      metrics.fenced.inc({ topic: range.topic });
      log.warn({ topic: range.topic, partition: range.partition, first: range.first.toString(), last }, "range already committed by another consumer; discarded");
      return false;
    }
    deps.crash("after-ledger");
    for (const f of uploaded) {
      metrics.rowsFlushed.inc({ app: f.app }, f.rows);
      metrics.bytesFlushed.inc({ app: f.app, encoding: "csv" }, f.csvBytes);
      metrics.bytesFlushed.inc({ app: f.app, encoding: "gzip" }, f.gzipBytes);
      metrics.batchRows.observe(f.rows);
      metrics.batchBytes.observe(f.gzipBytes);
    }
    for (const f of files) if (f.moved > 0) metrics.cellsMoved.inc({ app: f.app }, f.moved);
    for (const r of range.rejected) metrics.recordsRejected.inc({ app, reason: r.code });
    if (range.rejected.length > 0) {
      log.error({ app, topic: range.topic, partition: range.partition, rejected: range.rejected.length, first: range.rejected[0] }, "records could not be decoded; kept under rejects/");
    }
    if (unseen > 0n) {
      metrics.unseenOffsets.inc({ topic: range.topic }, Number(unseen));
      log.error({ topic: range.topic, partition: range.partition, first: range.first.toString(), unseen: unseen.toString() }, "range covers offsets with no record to read");
    }
    return true;
  }

  async function stage(batch: MessageBatch, context: BatchContext): Promise<StageOutcome> {
    const started = performance.now();
    const app = deps.appOf(batch.topic);
    const outcome = { skipped: 0, ranges: 0, rows: 0, fenced: 0 };
    if (app === undefined || batch.messages.length === 0) return outcome;
    log.debug({ topic: batch.topic, partition: batch.partition, first: batch.messages[0]?.offset, records: batch.messages.length }, "fetched");
    const stopIfStopping = (error: unknown) => {
      if (!context.isRunning()) throw batcherError("BATCHER_STOPPING", "consumer stopping; the batch will be read again", { cause: error });
    };
    const settling: SettleOptions = {
      probe: dependenciesAnswer,
      maxRepeats: deps.maxRepeats ?? 5,
      baseDelayMs: backoff.baseMs,
      maxDelayMs: backoff.maxMs,
      onRetry: (error, attempt, _delayMs, dependencyUp) => {
        log.warn({ err: error, topic: batch.topic, partition: batch.partition, attempt, dependencyUp }, "stage to S3 failed; retrying");
        stopIfStopping(error);
      },
    };
    // No record can make reading the ledger end fail: whatever the error, waiting is all there is to do.
    const waiting = {
      attempts: Number.POSITIVE_INFINITY,
      baseDelayMs: backoff.baseMs,
      maxDelayMs: backoff.maxMs,
      retryIf: () => true,
      onRetry: (error: unknown, attempt: number) => {
        log.warn({ err: error, topic: batch.topic, partition: batch.partition, attempt }, "reading the ledger end failed; retrying");
        stopIfStopping(error);
      },
    };
    const versions = await schemasOf(batch.messages, settling);

    let messages = batch.messages;
    let end = await retry(() => ledger.ranges.partitionEnd(batch.topic, batch.partition), waiting);
    /** Most records in the next range: halved while a range cannot be written, to find the record at fault. */
    let cap = Number.POSITIVE_INFINITY;
    for (;;) {
      const from = firstUncovered(messages, end);
      outcome.skipped += from;
      if (from > 0) metrics.recordsSkipped.inc({ topic: batch.topic }, from);
      messages = messages.slice(from);
      if (messages.length === 0) break;
      const { first, unseen } = rangeStart(end, BigInt((messages[0] as ConsumedMessage).offset));
      let range = new RangeBuffer(batch.topic, batch.partition, first);
      let taken = 0;
      for (const message of messages) {
        if (taken >= cap) break;
        // Let the loader's COPY streams run between slices of this synchronous work.
        if (taken > 0 && taken % YIELD_EVERY === 0) await new Promise<void>((resolve) => setImmediate(resolve));
        const framed = frame(app, message, versions);
        if ("code" in framed) range.reject(framed);
        else range.add(message.offset, { app, schemaId: framed.schemaId, schema: framed.version.schema, payload: framed.payload }, deps.limits, message.key);
        taken++;
        if (range.full()) break;
      }
      let flushed = await settle(() => flush(app, range, unseen), settling);
      if (!flushed.ok && taken > 1) {
        cap = Math.ceil(taken / 2);
        log.warn({ err: flushed.error, topic: batch.topic, partition: batch.partition, first: first.toString(), records: taken, next: cap }, "range cannot be written; cutting it smaller to find the record at fault");
        continue;
      }
      if (!flushed.ok) {
        // One record that cannot be written even alone: keep it, with its bytes, as rejected.
        const error = flushed.error;
        range = new RangeBuffer(batch.topic, batch.partition, first);
        range.reject(rejectedRecord(messages[0] as ConsumedMessage, "BATCHER_STAGE_FAILED", `its range could not be written: ${error instanceof Error ? error.message : String(error)}`));
        log.error({ err: error, topic: batch.topic, partition: batch.partition, offset: (messages[0] as ConsumedMessage).offset }, "record cannot be written even alone; kept as rejected");
        flushed = await settle(() => flush(app, range, unseen), settling);
        // Not even its rejection can be written: nothing is left to try here; the batch is read again.
        if (!flushed.ok) throw flushed.error;
      }
      await context.heartbeat();
      if (flushed.value) {
        outcome.ranges++;
        outcome.rows += range.records;
        end = BigInt(range.last as string);
        messages = messages.slice(range.records);
        cap *= 2;
      } else {
        outcome.fenced++;
        end = await retry(() => ledger.ranges.partitionEnd(batch.topic, batch.partition), waiting);
      }
    }
    const last = batch.messages.at(-1) as ConsumedMessage;
    metrics.ledgerLag.set(batch.topic, batch.partition, Math.max(0, Number(BigInt(batch.highWatermark) - BigInt(last.offset) - 1n)));
    metrics.flushSeconds.observe((performance.now() - started) / 1000);
    deps.crash("before-commit");
    return outcome;
  }

  return stage;
}

/** A record kept aside with why it could not be placed (its bytes as they were). */
function rejectedRecord(message: ConsumedMessage, code: BatcherCode, reason: string): RejectedRecord {
  return { offset: message.offset, key: message.key?.toString("utf8") ?? null, value: message.value?.toString("base64") ?? null, code, reason };
}
