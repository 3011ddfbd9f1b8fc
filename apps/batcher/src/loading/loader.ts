/**
 * Stage 2: the ledger's pending files → the warehouse, one active loader per app.
 *
 * Any number of replicas run a loader; each app is loaded by whichever holds its advisory lock in
 * the control database (a session lock on a dedicated connection, so it goes when the process
 * does). Within an app, tables load independently and in parallel, each in ledger order; a parked
 * file, or one waiting out a backoff, holds nothing back (see load-plan.ts for why no load needs
 * an earlier one). Stage 1 NOTIFYs on every commit, so an idle loader wakes at once rather than at
 * its next poll.
 *
 * A load's failure is judged by load-failure-policy.ts: rows the warehouse refuses are set aside by
 * the warehouse itself and the rest loads; a file that cannot load is parked at once; a transient
 * failure is retried, and counts against the file only while the warehouse, the bucket and the
 * control database answer a probe, so an outage parks nothing while a failure that keeps repeating
 * parks its file after `maxFailures`.
 *
 * The loader's own bookkeeping is only a hint for the warehouse: a load checks `_sz_loads` in the
 * warehouse transaction first, so a crash between the warehouse commit and `markLoaded` is
 * harmless (the next attempt finds the keys and marks them loaded).
 */
import type { Logger } from "@schematizer/observability";
import pg from "pg";
import { batcherError } from "../batcher-codes.ts";
import type { BatcherMetrics } from "../batcher-metrics.ts";
import type { CrashHook } from "../crash-points.ts";
import { dimensionOf } from "@schematizer/warehouse";
import type { Ledger, QueuedFile } from "../ledger/ledger.ts";
import { classifyLoadError, fateOf } from "@schematizer/warehouse";
import { failureVerdict } from "./load-failure-policy.ts";
import { nextLoad, retryAt, type CoalesceLimits } from "./load-plan.ts";
import type { SchemaVersions } from "../schema-versions.ts";
import type { RefusedRow, SchemaRef, Warehouse } from "@schematizer/warehouse";

export interface LoaderDeps {
  readonly ledger: Ledger;
  /** The control database, for the loader's dedicated lock and LISTEN connection. */
  readonly controlUrl: string;
  readonly warehouse: Warehouse;
  readonly versions: SchemaVersions;
  readonly coalesce: CoalesceLimits;
  readonly backoff: { readonly baseMs: number; readonly maxMs: number };
  /** Failures counted against a file (while its dependencies answer) before it is parked. */
  readonly maxFailures: number;
  /** Tables loaded at once. */
  readonly concurrency: number;
  readonly pollMs: number;
  readonly metrics: BatcherMetrics;
  readonly log: Logger;
  readonly crash: CrashHook;
}

export interface Loader {
  start(): Promise<void>;
  /** Finishes the loads in hand, releases its apps, closes its connection. */
  stop(): Promise<void>;
  /** Why the loader cannot work now, or undefined. */
  notReadyReason(): string | undefined;
  /** Apps this replica loads now. */
  apps(): string[];
}

interface Job {
  app: string;
  table: string;
  files: readonly QueuedFile[];
}

/**
 * The loader.
 *
 * @example
 * ```ts
 * const loader = createLoader({ ledger, controlUrl, warehouse, versions, coalesce, backoff, maxFailures: 10, concurrency: 2, pollMs: 1000, metrics, log, crash: noCrash });
 * await loader.start();
 * ```
 */
export function createLoader(deps: LoaderDeps): Loader {
  const { ledger, warehouse, metrics, log } = deps;
  const held = new Set<string>();
  let client: pg.Client | undefined;
  let connecting: Promise<pg.Client> | undefined;
  let stopped = false;
  let running: Promise<void> | undefined;
  let wake: (() => void) | undefined;
  let woken = false;
  let lastError: string | undefined;

  function notify(): void {
    woken = true;
    wake?.();
  }

  async function lockClient(): Promise<pg.Client> {
    if (client !== undefined) return client;
    connecting ??= (async () => {
      const c = new pg.Client({ connectionString: deps.controlUrl, application_name: "schematizer-batcher-loader" });
      const lost = () => {
        // The server dropped our session and with it every lock: stop loading those apps.
        if (client === c) client = undefined;
        held.clear();
      };
      c.on("error", lost);
      c.on("end", lost);
      c.on("notification", notify);
      await c.connect();
      await ledger.queue.listen(c);
      client = c;
      return c;
    })().finally(() => {
      connecting = undefined;
    });
    return connecting;
  }

  async function claim(apps: readonly string[]): Promise<void> {
    const c = await lockClient();
    const wanted = new Set(apps);
    for (const app of [...held]) {
      if (wanted.has(app)) continue;
      // Idle here: let another replica take it when it has work.
      await ledger.queue.unlock(c, app);
      held.delete(app);
    }
    for (const app of apps) {
      if (held.has(app)) continue;
      if (await ledger.queue.tryLock(c, app)) {
        held.add(app);
        log.info({ app }, "loading app");
      }
    }
  }

  async function schemaRef(id: number): Promise<SchemaRef> {
    const found = await deps.versions.versionById(id);
    if (found === undefined) throw batcherError("BATCHER_UNKNOWN_SCHEMA", `schema id ${id} is not in the registry`, { context: { schemaId: id } });
    return { id, schema: found.schema };
  }

  async function runJob(job: Job): Promise<void> {
    const { app, table, files } = job;
    const ids = files.map((b) => b.id);
    const head = files[0] as QueuedFile;
    const started = performance.now();
    try {
      const fileVersion = await schemaRef(head.schemaId);
      if (fileVersion.schema.dialect !== warehouse.dialect) {
        throw batcherError("BATCHER_DIALECT_MISMATCH", `${app} writes ${fileVersion.schema.dialect} schemas; this warehouse is ${warehouse.dialect}`);
      }
      const applied = await warehouse.appliedVersion(app, table);
      const current = applied === undefined ? undefined : await schemaRef(applied.schemaId);
      const target = current !== undefined && current.schema.version >= fileVersion.schema.version ? current : fileVersion;
      // Identifies and groups tables keep a dimension table, at a version of its own.
      const dimension = dimensionOf(target.schema);
      const dimensionApplied = dimension === undefined ? undefined : await warehouse.appliedVersion(app, dimension.table);
      const dimensionCurrent = dimensionApplied === undefined ? undefined : await schemaRef(dimensionApplied.schemaId);
      const result = await warehouse.load({
        app,
        target,
        fileVersion,
        current,
        files: files.map((b) => ({ key: b.dataKey, manifestKey: b.manifestKey, rows: b.rows, gzipBytes: b.gzipBytes })),
        setAside: (refused) => ledger.setAside.keep(refused.map((r) => ({ ...r, app, table, dataKey: r.key, schemaId: fileVersion.id, version: fileVersion.schema.version }))),
        ...(dimensionCurrent === undefined ? {} : { dimensionCurrent }),
        beforeCommit: () => deps.crash("before-warehouse-commit"),
      });
      deps.crash("after-copy");
      const byId = new Map<string, number>();
      for (const b of files) byId.set(b.id, result.inserted.get(b.dataKey) ?? 0);
      await ledger.queue.markLoaded(ids, byId);
      const rows = files
        .filter((b) => !result.alreadyLoaded.includes(b.dataKey))
        .reduce((n, b) => n + b.rows - (result.refused.get(b.dataKey)?.length ?? 0), 0);
      const inserted = [...result.inserted.values()].reduce((n, v) => n + v, 0);
      metrics.loadSeconds.observe({ dialect: warehouse.dialect }, (performance.now() - started) / 1000);
      metrics.batchesLoaded.inc({ app }, files.length);
      metrics.rowsLoaded.inc({ app }, inserted);
      if (rows > inserted) metrics.rowsDuplicate.inc({ app }, rows - inserted);
      for (const b of files) metrics.batchesRetried.observe(b.attempts);
      for (const [key, refused] of result.refused) reportSetAside(app, table, key, refused);
      if (result.alreadyLoaded.length > 0) log.info({ app, table, keys: result.alreadyLoaded }, "files were in the warehouse already; ledger caught up");
      log.debug({ app, table, files: files.length, rows, inserted, ms: Math.round(performance.now() - started) }, "loaded");
    } catch (error) {
      await judge(job, error);
    }
  }

  /** Counts a file's refused rows by reason and says so once, with where to see them. */
  function reportSetAside(app: string, table: string, key: string, refused: readonly RefusedRow[]): void {
    const reasons: Record<string, number> = {};
    for (const r of refused) reasons[r.code] = (reasons[r.code] ?? 0) + 1;
    for (const [reason, n] of Object.entries(reasons)) metrics.rowsSetAside.inc({ app, reason }, n);
    const first = refused[0] as RefusedRow;
    log.warn(
      { app, table, key, rows: refused.length, reasons, first: { line: first.line, code: first.code, reason: first.reason } },
      "rows refused by the warehouse were set aside; the rest of the file loaded (npm run batcher -- set-aside)",
    );
  }

  /** Decides what a failed load becomes: retried (counted or not), split, or parked. */
  async function judge(job: Job, error: unknown): Promise<void> {
    const { app, table, files } = job;
    const ids = files.map((b) => b.id);
    const head = files[0] as QueuedFile;
    const coded = classifyLoadError(error);
    metrics.loadFailures.inc({ app, reason: coded.code });
    const dependenciesAnswer = fateOf(coded) === "retried" ? await probe() : true;
    const verdict = failureVerdict({ error: coded, files: files.length, strikes: head.strikes, dependenciesAnswer, maxFailures: deps.maxFailures });
    const lastError = `${coded.code}: ${coded.message}`;
    if (verdict.kind === "retry") {
      const at = retryAt(head.attempts + 1, deps.backoff, Date.now());
      const strikes = head.strikes + (verdict.counted ? 1 : 0);
      log.warn(
        { err: error, app, table, files: ids, code: coded.code, attempt: head.attempts + 1, strikes, maxFailures: deps.maxFailures, dependenciesAnswer, retryAt: at },
        dependenciesAnswer ? "load failed; will retry" : "load failed while the warehouse, the bucket or the control database does not answer; will retry, not counted against the file",
      );
      await ledger.queue.recordFailure(ids, lastError, at, verdict.counted);
    } else if (verdict.kind === "split") {
      // The head is tried alone next, then each file after it, to find the one at fault.
      log.warn({ err: error, app, table, files: ids, code: coded.code }, "load of several files failed; trying them one at a time");
      await ledger.queue.recordFailure(ids, lastError, new Date(), false);
    } else {
      log.error(
        { err: error, app, table, file: head.id, key: head.dataKey, code: verdict.code, reason: verdict.reason, attempts: head.attempts + 1 },
        "load cannot succeed; file parked with its reason, later files of the table go on (npm run batcher -- parked)",
      );
      await ledger.queue.park(ids, verdict.code, verdict.reason);
      metrics.batchesParked.inc({ app, reason: verdict.code });
      metrics.batchesRetried.observe(head.attempts);
    }
  }

  /** Whether every dependency of a load answers now. */
  async function probe(): Promise<boolean> {
    const [warehouseUp, controlUp] = await Promise.all([warehouse.probe().catch(() => false), ledger.probe().catch(() => false)]);
    return warehouseUp && controlUp;
  }

  async function round(): Promise<number> {
    const apps = await ledger.queue.appsWithWork();
    await claim(apps);
    const jobs: Job[] = [];
    let nextWakeMs = Number.POSITIVE_INFINITY;
    const now = Date.now();
    for (const app of held) {
      const tables = await ledger.queue.unloaded(app, deps.coalesce.maxFiles + 1);
      for (const [table, files] of tables) {
        const decision = nextLoad(files, deps.coalesce, now);
        if (decision.kind === "load") jobs.push({ app, table, files: decision.files as QueuedFile[] });
        else if (decision.kind === "wait") nextWakeMs = Math.min(nextWakeMs, decision.untilMs);
      }
    }
    let next = 0;
    const worker = async () => {
      while (next < jobs.length && !stopped) await runJob(jobs[next++] as Job);
    };
    await Promise.all(Array.from({ length: Math.min(deps.concurrency, jobs.length) }, worker));
    await observeBacklog();
    pendingWakeMs = nextWakeMs;
    return jobs.length;
  }

  let pendingWakeMs = Number.POSITIVE_INFINITY;

  async function observeBacklog(): Promise<void> {
    const backlog = await ledger.operators.backlog();
    metrics.freshness.reset();
    metrics.parked.reset();
    metrics.pending.reset();
    const now = Date.now();
    for (const [app, b] of backlog) {
      metrics.freshness.set({ app }, b.oldestReceivedAt === undefined ? 0 : Math.max(0, (now - b.oldestReceivedAt.getTime()) / 1000));
      metrics.parked.set({ app }, b.parked);
      metrics.pending.set({ app }, b.pending);
    }
  }

  async function sleep(ms: number): Promise<void> {
    if (woken || stopped) {
      woken = false;
      return;
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      wake = done;
      function done() {
        clearTimeout(timer);
        wake = undefined;
        resolve();
      }
    });
    woken = false;
  }

  async function loop(): Promise<void> {
    let failures = 0;
    while (!stopped) {
      let worked = 0;
      try {
        worked = await round();
        lastError = undefined;
        failures = 0;
      } catch (error) {
        failures++;
        lastError = error instanceof Error ? error.message : String(error);
        log.warn({ err: error, failures }, "loader round failed; retrying");
        if (client !== undefined) {
          const c = client;
          client = undefined;
          held.clear();
          await c.end().catch(() => undefined);
        }
      }
      if (worked > 0) continue;
      const untilWake = Number.isFinite(pendingWakeMs) ? Math.max(10, pendingWakeMs - Date.now()) : deps.pollMs;
      await sleep(failures > 0 ? Math.min(30_000, deps.pollMs * 2 ** Math.min(failures, 5)) : Math.min(deps.pollMs, untilWake));
    }
  }

  return {
    async start() {
      stopped = false;
      await lockClient();
      running = loop();
    },
    async stop() {
      stopped = true;
      wake?.();
      await running;
      const c = client;
      client = undefined;
      held.clear();
      // Ending the session releases every advisory lock it holds.
      await c?.end().catch(() => undefined);
    },
    notReadyReason() {
      if (client === undefined && !stopped) return `loader has no control database connection${lastError === undefined ? "" : `: ${lastError}`}`;
      return undefined;
    },
    apps: () => [...held],
  };
}
