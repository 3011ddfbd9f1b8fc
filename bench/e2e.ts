/**
 * The whole pipeline on this machine, everything on it: event-sink, sqlizer and the batcher as
 * processes, the broker, Postgres (registry and warehouse) and the S3 server.
 *
 * 1. Freshness at fixed rates (1,000, 5,000 and 20,000 events/s by default): requests are sent on
 *    a schedule whatever the answers' pace; each request's events carry ids sortable by request,
 *    and the warehouse is polled for complete requests. Freshness = first poll that finds all of a
 *    request's rows, minus its 202. p50 and p99 over requests.
 * 2. Sustained throughput: clients send as fast as the pipeline accepts for a fixed time; the rate
 *    is the accepted events divided by the time until the last of them is queryable, and every
 *    accepted id must be in the warehouse exactly once.
 *
 * Run: npm run bench:e2e   (needs `npm run stack -- up`; E2E_BENCH_RATES=1000,5000,20000, E2E_BENCH_SECONDS)
 * The last line printed is one JSON object with the figures.
 */
import { randomBytes } from "node:crypto";
import { waitFor } from "@schematizer/errors";
import { quoteIdent } from "@schematizer/postgres";
import { s3Client, ensureBucket, dropBucket } from "@schematizer/s3";
import { batcherEnv, benchScratch, freePort, peakRssMb, percentile, report, startBenchService } from "./bench-kit.ts";

const RATES = (process.env.E2E_BENCH_RATES ?? "1000,5000,20000").split(",").map(Number);
const SECONDS = Number(process.env.E2E_BENCH_SECONDS ?? 15);
const SUSTAINED_SECONDS = Number(process.env.E2E_BENCH_SUSTAINED_SECONDS ?? 30);
const TABLE = "_e_user__pass_mission";

const scratch = await benchScratch();
const bucket = `bench-${randomBytes(4).toString("hex")}`;
const s3 = s3Client(scratch.endpoints.s3);
await ensureBucket(s3, bucket);
const warehouseSchema = `${scratch.schema}_bench`;
const services: Awaited<ReturnType<typeof startBenchService>>[] = [];
try {
  const key = await scratch.createApp("bench", 4);
  const sinkPort = await freePort();
  const env = scratch.serviceEnv();
  services.push(
    await startBenchService("event-sink", { ...env, SINK_PORT: String(sinkPort), SINK_HOST: "127.0.0.1" }, "event-sink listening"),
    await startBenchService("sqlizer", { ...env, SQLIZER_PORT: String(await freePort()), SQLIZER_GROUP_ID: `${scratch.prefix}sqlizer`, SQLIZER_TOPIC_REFRESH_MS: "500" }, "sqlizer running"),
    await startBenchService(
      "batcher",
      batcherEnv(scratch, bucket, await freePort()),
      "batcher started",
    ),
  );
  const url = `http://127.0.0.1:${sinkPort}/v1/apps/bench/events`;
  let requestNo = 0;
  const send = async (events: number): Promise<{ id: string; at: number; size: number } | undefined> => {
    const id = `r${String(requestNo++).padStart(9, "0")}`;
    const body = Array.from({ length: events }, (_, i) => ({
      id: `${id}-${String(i).padStart(5, "0")}`,
      ts: Date.now(),
      entype: "user",
      evname: "pass_mission",
      enid: `u${i % 997}`,
      body: { level: i % 50, mission_name: `m${i % 17}`, is_premium: i % 3 === 0, score: i * 1.5 },
    }));
    const res = await fetch(url, { method: "POST", headers: { authorization: `Bearer ${key}`, "content-type": "application/json" }, body: JSON.stringify(body) });
    await res.arrayBuffer();
    return res.status === 202 ? { id, at: performance.now(), size: events } : undefined;
  };
  const table = `${quoteIdent(warehouseSchema)}.${quoteIdent(TABLE)}`;
  const completeRequests = async (fromId: string) => {
    const { rows } = await scratch.pool
      .query<{ r: string; n: string }>(`SELECT substr(_sz_id, 1, 10) AS r, count(*) AS n FROM ${table} WHERE _sz_id >= $1 GROUP BY 1`, [fromId])
      .catch(() => ({ rows: [] as { r: string; n: string }[] }));
    return new Map(rows.map((row) => [row.r, Number(row.n)]));
  };

  // Warm the pipeline up: the table exists and every stage has run once.
  const warm = await send(10);
  await waitFor("the first rows", async () => ((await completeRequests(warm!.id)).get(warm!.id) === 10 ? true : undefined), { timeoutMs: 60_000, intervalMs: 200 });

  const freshness: Record<string, number> = {};
  for (const rate of RATES) {
    const perRequest = Math.max(10, Math.min(500, Math.round(rate / 20)));
    const interval = (1000 * perRequest) / rate;
    const pending = new Map<string, { at: number; size: number }>();
    const seen: number[] = [];
    let lost = 0;
    const start = performance.now();
    const sends: Promise<void>[] = [];
    let polling = true;
    const poller = (async () => {
      while (polling || pending.size > 0) {
        const oldest = [...pending.keys()].sort()[0];
        if (oldest !== undefined) {
          const counts = await completeRequests(oldest);
          const now = performance.now();
          for (const [id, p] of pending) {
            if ((counts.get(id) ?? 0) >= p.size) {
              seen.push(now - p.at);
              pending.delete(id);
            }
          }
        }
        if (performance.now() - start > (SECONDS + 120) * 1000) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();
    for (let i = 0; performance.now() - start < SECONDS * 1000; i++) {
      const due = start + i * interval;
      if (due > performance.now()) await new Promise((resolve) => setTimeout(resolve, due - performance.now()));
      sends.push(send(perRequest).then((ok) => {
        if (ok) pending.set(ok.id, { at: ok.at, size: ok.size });
        else lost++;
      }));
    }
    await Promise.all(sends);
    polling = false;
    await poller;
    seen.sort((a, b) => a - b);
    const p50 = percentile(seen, 50) / 1000;
    const p99 = percentile(seen, 99) / 1000;
    freshness[`freshness_p50_s_at_${rate}`] = Number(p50.toFixed(2));
    freshness[`freshness_p99_s_at_${rate}`] = Number(p99.toFixed(2));
    console.log(`at ${rate} events/s (${perRequest} per request): freshness p50 ${p50.toFixed(2)} s, p99 ${p99.toFixed(2)} s over ${seen.length} requests; ${pending.size} never complete, ${lost} refused`);
  }

  // Sustained: as fast as it accepts, then until the last accepted event is queryable.
  const firstId = `r${String(requestNo).padStart(9, "0")}`;
  let accepted = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: 8 }, async () => {
    while (performance.now() - t0 < SUSTAINED_SECONDS * 1000) {
      const ok = await send(500);
      if (ok) accepted += ok.size;
    }
  }));
  const acceptedIn = (performance.now() - t0) / 1000;
  const { rows: [row] } = await waitFor("every accepted event queryable", async () => {
    const result = await scratch.pool.query<{ rows: string; ids: string }>(`SELECT count(*) AS rows, count(DISTINCT _sz_id) AS ids FROM ${table} WHERE _sz_id >= $1`, [firstId]);
    return Number(result.rows[0]!.ids) >= accepted ? result : undefined;
  }, { timeoutMs: 600_000, intervalMs: 500 });
  const drainedIn = (performance.now() - t0) / 1000;
  const sustained = accepted / drainedIn;
  console.log(`sustained: ${accepted} events accepted in ${acceptedIn.toFixed(1)} s (${Math.round(accepted / acceptedIn)}/s), all queryable after ${drainedIn.toFixed(1)} s: ${Math.round(sustained)} events/s end to end; ${row!.rows} rows, ${row!.ids} distinct ids`);

  report({
    bench: "e2e",
    sustained_events_per_s: Math.round(sustained),
    accepted_events_per_s: Math.round(accepted / acceptedIn),
    sustained_events: accepted,
    lost: accepted - Number(row!.ids),
    duplicates: Number(row!.rows) - Number(row!.ids),
    ...freshness,
    sink_rss_mb: services[0]!.peakRssMb(),
    sqlizer_rss_mb: services[1]!.peakRssMb(),
    batcher_rss_mb: services[2]!.peakRssMb(),
    bench_rss_mb: peakRssMb(),
  });
} finally {
  for (const service of services) await service.stop();
  await scratch.pool.query(`DROP SCHEMA IF EXISTS ${quoteIdent(warehouseSchema)} CASCADE`);
  await dropBucket(s3, bucket).catch(() => undefined);
  s3.destroy();
  await scratch.cleanup();
}
