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
 * 3. The raw archive (on unless E2E_BENCH_ARCHIVE=off, to measure the pipeline without it): every
 *    accepted event must be archived; reported is how long after the last row was queryable the
 *    archive held them all.
 *
 * Run: npm run bench:e2e   (needs `npm run stack -- up`; E2E_BENCH_RATES=1000,5000,20000, E2E_BENCH_SECONDS, E2E_BENCH_ARCHIVE)
 * The last line printed is one JSON object with the figures.
 */
import { peakRssMb, report } from "./bench-kit.ts";
import { freshnessAtRate, livePipeline, sendFlat, waitForArchive, waitForIds } from "./live-pipeline.ts";

const RATES = (process.env.E2E_BENCH_RATES ?? "1000,5000,20000").split(",").map(Number);
const SECONDS = Number(process.env.E2E_BENCH_SECONDS ?? 15);
const SUSTAINED_SECONDS = Number(process.env.E2E_BENCH_SUSTAINED_SECONDS ?? 30);
const EVNAME = "pass_mission";
const ARCHIVE = process.env.E2E_BENCH_ARCHIVE === "off" ? "off" : "on";

const live = await livePipeline({ archive: ARCHIVE });
try {
  // Warm the pipeline up: the table exists and every stage has run once.
  const warm = await live.send(EVNAME, 10);
  await waitForIds(live, EVNAME, warm!.id, 10);

  const freshness: Record<string, number> = {};
  for (const rate of RATES) {
    const f = await freshnessAtRate(live, EVNAME, rate, SECONDS);
    freshness[`freshness_p50_s_at_${rate}`] = Number(f.p50.toFixed(2));
    freshness[`freshness_p99_s_at_${rate}`] = Number(f.p99.toFixed(2));
    console.log(`at ${rate} events/s: freshness p50 ${f.p50.toFixed(2)} s, p99 ${f.p99.toFixed(2)} s over ${f.requests} requests; ${f.neverComplete} never complete, ${f.refused} refused`);
  }

  // Sustained: as fast as it accepts, then until the last accepted event is queryable.
  const t0 = performance.now();
  const flat = await sendFlat(live, EVNAME, SUSTAINED_SECONDS);
  const row = await waitForIds(live, EVNAME, flat.firstId, flat.accepted);
  const drainedIn = (performance.now() - t0) / 1000;
  const sustained = flat.accepted / drainedIn;
  console.log(`sustained: ${flat.accepted} events accepted in ${flat.seconds.toFixed(1)} s (${Math.round(flat.accepted / flat.seconds)}/s), all queryable after ${drainedIn.toFixed(1)} s: ${Math.round(sustained)} events/s end to end; ${row.rows} rows, ${row.ids} distinct ids`);

  let archive = {};
  if (ARCHIVE === "on") {
    const archived = await waitForArchive(live, live.accepted());
    const caughtUp = (performance.now() - t0) / 1000 - drainedIn;
    console.log(`archive: ${archived.events} of ${live.accepted()} accepted events in ${archived.files} files (${(archived.bytes / 1e6).toFixed(1)} MB gzip), all archived ${caughtUp.toFixed(1)} s after the last row was queryable`);
    archive = { archived_events: archived.events, archive_files: archived.files, archive_caught_up_s: Number(caughtUp.toFixed(1)) };
  }

  report({
    bench: "e2e",
    archive: ARCHIVE,
    ...archive,
    sustained_events_per_s: Math.round(sustained),
    accepted_events_per_s: Math.round(flat.accepted / flat.seconds),
    sustained_events: flat.accepted,
    lost: flat.accepted - row.ids,
    duplicates: row.rows - row.ids,
    ...freshness,
    // CPU of each process over the whole run (warm-up, fixed rates, sustained), per accepted event.
    sink_cpu_us_per_event: Math.round((live.services[0]!.cpuMs() * 1000) / live.accepted()),
    sqlizer_cpu_us_per_event: Math.round((live.services[1]!.cpuMs() * 1000) / live.accepted()),
    batcher_cpu_us_per_event: Math.round((live.services[2]!.cpuMs() * 1000) / live.accepted()),
    sink_rss_mb: live.services[0]!.peakRssMb(),
    sqlizer_rss_mb: live.services[1]!.peakRssMb(),
    batcher_rss_mb: live.services[2]!.peakRssMb(),
    bench_rss_mb: peakRssMb(),
  });
} finally {
  await live.close();
}
