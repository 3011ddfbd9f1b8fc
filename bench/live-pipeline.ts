/**
 * The whole pipeline as processes, for the benchmarks that measure it end to end (bench/e2e.ts,
 * bench/replay.ts): event-sink, a sqlizer and the batcher (with or without the raw archive) in a
 * scratch corner of the stack, a client that sends requests of one table's events with ids
 * sortable by request, and freshness measured at a fixed rate.
 */
import { randomBytes } from "node:crypto";
import { waitFor } from "@schematizer/errors";
import { quoteIdent } from "@schematizer/postgres";
import { dropBucket, ensureBucket, s3Client } from "@schematizer/s3";
import { batcherEnv, benchScratch, freePort, percentile, startBenchService, type BenchScratch, type BenchService } from "./bench-kit.ts";

export const APP = "bench";

export interface LivePipeline {
  readonly scratch: BenchScratch;
  readonly bucket: string;
  readonly warehouseSchema: string;
  /** event-sink, sqlizer, batcher. */
  readonly services: BenchService[];
  /** Events accepted (202) so far, all tables. */
  accepted(): number;
  /** Sends one request of `events` events of user/<evname>; its id, when and how many, or undefined when refused. */
  send(evname: string, events: number): Promise<{ id: string; at: number; size: number } | undefined>;
  /** The table of user/<evname>, quoted. */
  table(evname: string): string;
  /** Rows of each request from `fromId` on, by request id. */
  completeRequests(evname: string, fromId: string): Promise<Map<string, number>>;
  /** The next request's id. */
  nextId(): string;
  close(): Promise<void>;
}

/**
 * @example
 * ```ts
 * const live = await livePipeline({ archive: "on" });
 * const { p99 } = await freshnessAtRate(live, "pass_mission", 1000, 15);
 * ```
 */
export async function livePipeline(options: { archive: "on" | "off" }): Promise<LivePipeline> {
  const scratch = await benchScratch();
  const bucket = `bench-${randomBytes(4).toString("hex")}`;
  const s3 = s3Client(scratch.endpoints.s3);
  await ensureBucket(s3, bucket);
  const warehouseSchema = `${scratch.schema}_${APP}`;
  const services: BenchService[] = [];
  const key = await scratch.createApp(APP, 4);
  const sinkPort = await freePort();
  const env = scratch.serviceEnv();
  services.push(
    await startBenchService("event-sink", { ...env, SINK_PORT: String(sinkPort), SINK_HOST: "127.0.0.1" }, "event-sink listening"),
    await startBenchService("sqlizer", { ...env, SQLIZER_PORT: String(await freePort()), SQLIZER_GROUP_ID: `${scratch.prefix}sqlizer`, SQLIZER_TOPIC_REFRESH_MS: "500" }, "sqlizer running"),
    await startBenchService("batcher", { ...batcherEnv(scratch, bucket, await freePort()), BATCHER_ARCHIVE: options.archive }, "batcher started"),
  );
  const url = `http://127.0.0.1:${sinkPort}/v1/apps/${APP}/events`;
  let requestNo = 0;
  let accepted = 0;
  const table = (evname: string) => `${quoteIdent(warehouseSchema)}.${quoteIdent(`_e_user__${evname}`)}`;
  return {
    scratch,
    bucket,
    warehouseSchema,
    services,
    accepted: () => accepted,
    table,
    nextId: () => `r${String(requestNo).padStart(9, "0")}`,
    async send(evname, events) {
      const id = `r${String(requestNo++).padStart(9, "0")}`;
      const body = Array.from({ length: events }, (_, i) => ({
        id: `${id}-${String(i).padStart(5, "0")}`,
        ts: Date.now(),
        entype: "user",
        evname,
        enid: `u${i % 997}`,
        body: { level: i % 50, mission_name: `m${i % 17}`, is_premium: i % 3 === 0, score: i * 1.5 },
      }));
      const res = await fetch(url, { method: "POST", headers: { authorization: `Bearer ${key}`, "content-type": "application/json" }, body: JSON.stringify(body) });
      await res.arrayBuffer();
      if (res.status !== 202) return undefined;
      accepted += events;
      return { id, at: performance.now(), size: events };
    },
    async completeRequests(evname, fromId) {
      const { rows } = await scratch.pool
        .query<{ r: string; n: string }>(`SELECT substr(_sz_id, 1, 10) AS r, count(*) AS n FROM ${table(evname)} WHERE _sz_id >= $1 GROUP BY 1`, [fromId])
        .catch(() => ({ rows: [] as { r: string; n: string }[] }));
      return new Map(rows.map((row) => [row.r, Number(row.n)]));
    },
    async close() {
      for (const service of services) await service.stop();
      await scratch.pool.query(`DROP SCHEMA IF EXISTS ${quoteIdent(warehouseSchema)} CASCADE`);
      await dropBucket(s3, bucket).catch(() => undefined);
      s3.destroy();
      await scratch.cleanup();
    },
  };
}

/** Freshness of requests sent at a fixed rate: seconds from each 202 to the first poll finding all its rows. */
export interface Freshness {
  readonly p50: number;
  readonly p99: number;
  readonly requests: number;
  readonly neverComplete: number;
  readonly refused: number;
}

/**
 * Sends user/<evname> events at `rate` per second for `seconds`, on a schedule whatever the
 * answers' pace, and polls the warehouse for complete requests.
 *
 * @example
 * ```ts
 * const { p50, p99 } = await freshnessAtRate(live, "pass_mission", 5000, 15);
 * ```
 */
export async function freshnessAtRate(live: LivePipeline, evname: string, rate: number, seconds: number): Promise<Freshness> {
  const perRequest = Math.max(10, Math.min(500, Math.round(rate / 20)));
  const interval = (1000 * perRequest) / rate;
  const pending = new Map<string, { at: number; size: number }>();
  const seen: number[] = [];
  let refused = 0;
  const start = performance.now();
  const sends: Promise<void>[] = [];
  let polling = true;
  const poller = (async () => {
    while (polling || pending.size > 0) {
      const oldest = [...pending.keys()].sort()[0];
      if (oldest !== undefined) {
        const counts = await live.completeRequests(evname, oldest);
        const now = performance.now();
        for (const [id, p] of pending) {
          if ((counts.get(id) ?? 0) >= p.size) {
            seen.push(now - p.at);
            pending.delete(id);
          }
        }
      }
      if (performance.now() - start > (seconds + 120) * 1000) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  for (let i = 0; performance.now() - start < seconds * 1000; i++) {
    const due = start + i * interval;
    if (due > performance.now()) await new Promise((resolve) => setTimeout(resolve, due - performance.now()));
    sends.push(
      live.send(evname, perRequest).then((ok) => {
        if (ok) pending.set(ok.id, { at: ok.at, size: ok.size });
        else refused++;
      }),
    );
  }
  await Promise.all(sends);
  polling = false;
  await poller;
  seen.sort((a, b) => a - b);
  return { p50: percentile(seen, 50) / 1000, p99: percentile(seen, 99) / 1000, requests: seen.length, neverComplete: pending.size, refused };
}

/**
 * Sends user/<evname> events from 8 clients as fast as they are accepted for `seconds`; resolves
 * with the first request's id, the events accepted and the seconds it took.
 *
 * @example
 * ```ts
 * const { firstId, accepted } = await sendFlat(live, "pass_mission", 30);
 * ```
 */
export async function sendFlat(live: LivePipeline, evname: string, seconds: number): Promise<{ firstId: string; accepted: number; seconds: number }> {
  const firstId = live.nextId();
  let accepted = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (performance.now() - t0 < seconds * 1000) {
        const ok = await live.send(evname, 500);
        if (ok) accepted += ok.size;
      }
    }),
  );
  return { firstId, accepted, seconds: (performance.now() - t0) / 1000 };
}

/**
 * Waits until the table holds `count` distinct ids from `fromId` on; resolves with its rows and distinct ids.
 *
 * @example
 * ```ts
 * const { rows, ids } = await waitForIds(live, "pass_mission", firstId, accepted);
 * ```
 */
export async function waitForIds(live: LivePipeline, evname: string, fromId: string, count: number): Promise<{ rows: number; ids: number }> {
  const result = await waitFor(
    `${count} ids in ${evname}`,
    async () => {
      const { rows } = await live.scratch.pool.query<{ rows: string; ids: string }>(`SELECT count(*) AS rows, count(DISTINCT _sz_id) AS ids FROM ${live.table(evname)} WHERE _sz_id >= $1`, [fromId]);
      return Number(rows[0]!.ids) >= count ? rows[0]! : undefined;
    },
    { timeoutMs: 600_000, intervalMs: 500 },
  );
  return { rows: Number(result.rows), ids: Number(result.ids) };
}

/**
 * Waits until the archive holds `count` events of the app; resolves with its events, files and gzip bytes.
 *
 * @example
 * ```ts
 * await waitForArchive(live, live.accepted());
 * ```
 */
export async function waitForArchive(live: LivePipeline, count: number): Promise<{ events: number; files: number; bytes: number }> {
  const row = await waitFor(
    "every accepted event archived",
    async () => {
      const { rows } = await live.scratch.pool.query<{ events: string; files: string; bytes: string }>(
        `SELECT coalesce(sum(events), 0) AS events, count(*) AS files, coalesce(sum(bytes), 0) AS bytes
         FROM ${quoteIdent(live.scratch.schema)}.archive_files WHERE app = $1 AND state = 'archived'`,
        [APP],
      );
      return Number(rows[0]!.events) >= count ? rows[0]! : undefined;
    },
    { timeoutMs: 600_000, intervalMs: 500 },
  );
  return { events: Number(row.events), files: Number(row.files), bytes: Number(row.bytes) };
}
