/**
 * Replay beside the live pipeline: event-sink, sqlizer and the batcher (with its raw archive) as
 * processes, and franz's `replay` as an operator runs it.
 *
 * 1. Fill: clients send one table's events as fast as they are accepted for REPLAY_BENCH_FILL_SECONDS;
 *    wait until every one is queryable and archived.
 * 2. Live, before: freshness of another table's events at REPLAY_BENCH_LIVE_RATE per second.
 * 3. The filled table's rows are deleted, and `replay` sends the fill's window again (at its default
 *    rate, or REPLAY_BENCH_RATE) while the live events go on at the same rate: their freshness
 *    during the replay, the replay's own rate, and the rate at which the deleted rows come back
 *    (until the last one is queryable). Every deleted row must come back once.
 *
 * Run: npm run bench:replay   (needs `npm run stack -- up`)
 * The last line printed is one JSON object with the figures.
 */
import { spawn } from "node:child_process";
import { repoRoot, serviceCommand } from "@schematizer/stack";
import { batcherEnv, report } from "./bench-kit.ts";
import { APP, freshnessAtRate, livePipeline, sendFlat, waitForArchive, waitForIds, type LivePipeline } from "./live-pipeline.ts";

const FILL_SECONDS = Number(process.env.REPLAY_BENCH_FILL_SECONDS ?? 20);
const LIVE_RATE = Number(process.env.REPLAY_BENCH_LIVE_RATE ?? 1000);
const LIVE_SECONDS = Number(process.env.REPLAY_BENCH_LIVE_SECONDS ?? 20);
const RATE = process.env.REPLAY_BENCH_RATE;
const FILLED = "fill_mission";
const LIVE = "pass_mission";

/** Runs franz's CLI with the batcher's bucket and ledger; resolves with its stdout. */
function franz(live: LivePipeline, args: string[]): Promise<string> {
  const cli = serviceCommand("franz", "cli");
  const child = spawn(cli.command, [...cli.args, ...args], {
    cwd: repoRoot(),
    env: { ...process.env, ...batcherEnv(live.scratch, live.bucket, 0), ...live.scratch.serviceEnv("franz") },
    stdio: ["ignore", "pipe", "inherit"],
  });
  let out = "";
  child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
  return new Promise((resolve, reject) => child.once("exit", (code) => (code === 0 ? resolve(out) : reject(new Error(`franz ${args.join(" ")} exited ${code}: ${out}`)))));
}

const live = await livePipeline({ archive: "on" });
try {
  const warm = await live.send(LIVE, 10);
  await waitForIds(live, LIVE, warm!.id, 10);

  const from = new Date(Date.now() - 1000).toISOString();
  const fill = await sendFlat(live, FILLED, FILL_SECONDS);
  await waitForIds(live, FILLED, fill.firstId, fill.accepted);
  const to = new Date(Date.now() + 1000).toISOString();
  await waitForArchive(live, live.accepted());
  console.log(`fill: ${fill.accepted} events of ${FILLED}, queryable and archived`);

  const before = await freshnessAtRate(live, LIVE, LIVE_RATE, LIVE_SECONDS);
  console.log(`live at ${LIVE_RATE}/s, before: freshness p50 ${before.p50.toFixed(2)} s, p99 ${before.p99.toFixed(2)} s`);

  await live.scratch.pool.query(`DELETE FROM ${live.table(FILLED)}`);
  const t0 = performance.now();
  const replaying = franz(live, ["replay", APP, "--from", from, "--to", to, "--evname", FILLED, "--entype", "user", ...(RATE ? ["--rate", RATE] : []), "--json"]);
  const during = await freshnessAtRate(live, LIVE, LIVE_RATE, LIVE_SECONDS);
  const replayed = JSON.parse(await replaying) as { replayed: number; rate: number; seconds: number; eventsPerSecond: number };
  const back = await waitForIds(live, FILLED, fill.firstId, fill.accepted);
  const backIn = (performance.now() - t0) / 1000;
  console.log(`live at ${LIVE_RATE}/s, during the replay: freshness p50 ${during.p50.toFixed(2)} s, p99 ${during.p99.toFixed(2)} s`);
  console.log(
    `replay: ${replayed.replayed} events sent in ${replayed.seconds.toFixed(1)} s (${Math.round(replayed.eventsPerSecond)}/s, rate ${replayed.rate}); all ${back.ids} rows back after ${backIn.toFixed(1)} s (${Math.round(fill.accepted / backIn)} events/s end to end), ${back.rows - back.ids} doubled`,
  );

  report({
    bench: "replay",
    filled_events: fill.accepted,
    replayed_events: replayed.replayed,
    replay_rate_limit: replayed.rate,
    replay_send_events_per_s: Math.round(replayed.eventsPerSecond),
    replay_end_to_end_events_per_s: Math.round(fill.accepted / backIn),
    rows_back: back.ids,
    lost: fill.accepted - back.ids,
    duplicates: back.rows - back.ids,
    live_rate: LIVE_RATE,
    live_freshness_p50_s_before: Number(before.p50.toFixed(2)),
    live_freshness_p99_s_before: Number(before.p99.toFixed(2)),
    live_freshness_p50_s_during: Number(during.p50.toFixed(2)),
    live_freshness_p99_s_during: Number(during.p99.toFixed(2)),
  });
} finally {
  await live.close();
}
