/**
 * event-sink throughput and latency, against the real broker.
 *
 * 1. Capacity: event-sink runs as its own process; a closed loop of concurrent clients posts
 *    requests of 500 events (JSON arrays, ~65 KB) for a fixed time: accepted events/s.
 * 2. Latency: an open loop at half that rate: p50/p99 from send to the 202.
 * 3. The tracking API (Segment-compatible): batches of 500 `track` messages of an SDK's size
 *    (~600 B) to /v1/batch, against the native endpoint taking the same information as native
 *    events, alternately in the same run: events/s of each and their ratio.
 * 4. Baselines, in the same run: the same messages (exact texts, keys, id and received-time
 *    headers) sent by a bare producer, 500 per send, same concurrency, acks=all: kafkajs, and the
 *    client event-sink runs on (KAFKA_CLIENT, platformatic by default).
 *
 * Run: npm run bench:sink   (needs `npm run stack -- up`; SINK_BENCH_SECONDS, SINK_BENCH_CONCURRENCY)
 * The last line printed is one JSON object with the figures.
 */
import { randomUUID } from "node:crypto";
import { HEADERS, topicsFor } from "@schematizer/contracts";
import { createKafkaClient, type KafkaClient, type ProducedMessage } from "@schematizer/kafka";
import { sampleEvent } from "./sample-events.ts";
import { nativeOfTrack, sampleTrack } from "./sample-tracks.ts";
import { benchScratch, freePort, peakRssMb, percentile, report, startBenchService } from "./bench-kit.ts";

const SECONDS = Number(process.env.SINK_BENCH_SECONDS ?? 10);
const CONCURRENCY = Number(process.env.SINK_BENCH_CONCURRENCY ?? 8);
const PER_REQUEST = 500;
const PARTITIONS = 6;

const scratch = await benchScratch();
try {
  const key = await scratch.createApp("bench", PARTITIONS);
  const raw = topicsFor("bench", scratch.prefix).raw;
  const bodies = Array.from({ length: 32 }, (_, r) => requestEvents(r));
  const payloads = bodies.map((events) => `[${events.join(",")}]`);
  const bytesPerEvent = Math.round(payloads[0]!.length / PER_REQUEST);

  const port = await freePort();
  const sink = await startBenchService(
    "event-sink",
    {
      ...scratch.serviceEnv(),
      SINK_PORT: String(port),
      SINK_HOST: "127.0.0.1",
    },
    "event-sink listening",
    // SINK_BENCH_PROFILE=<dir>: a V8 CPU profile of event-sink, written when it stops.
    process.env.SINK_BENCH_PROFILE ? ["--cpu-prof", `--cpu-prof-dir=${process.env.SINK_BENCH_PROFILE}`] : [],
  );
  const url = `http://127.0.0.1:${port}/v1/apps/bench/events`;
  const post = async (i: number) => {
    const res = await fetch(url, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: payloads[i % payloads.length],
    });
    await res.arrayBuffer();
    if (res.status !== 202) throw new Error(`event-sink answered ${res.status}`);
  };

  // Warm up the JIT, the connections and the auth cache.
  await closedLoop(3, post);
  const sinkRate = (await closedLoop(SECONDS, post)) * PER_REQUEST;
  console.log(`event-sink: ${Math.round(sinkRate)} events/s with ${CONCURRENCY} concurrent requests of ${PER_REQUEST} events (${bytesPerEvent} B each)`);

  const latencyRate = sinkRate / 2;
  const latencies = await openLoop(SECONDS, latencyRate / PER_REQUEST, post);
  const p50 = percentile(latencies, 50);
  const p99 = percentile(latencies, 99);
  console.log(`event-sink at ${Math.round(latencyRate)} events/s: p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms over ${latencies.length} requests`);

  // The tracking API against the native endpoint, on the same information, alternately.
  const tracks = Array.from({ length: 16 }, (_, r) => Array.from({ length: PER_REQUEST }, (_, i) => sampleTrack(r * PER_REQUEST + i, randomUUID())));
  const segmentPayloads = tracks.map((batch) => JSON.stringify({ batch, sentAt: new Date().toISOString() }));
  const nativePayloads = tracks.map((batch) => `[${batch.map(nativeOfTrack).join(",")}]`);
  const basic = `Basic ${Buffer.from(`${key}:`).toString("base64")}`;
  const sender = (target: string, headers: Record<string, string>, payloads: string[], status: number) => async (i: number) => {
    const res = await fetch(target, { method: "POST", headers: { ...headers, "content-type": "application/json" }, body: payloads[i % payloads.length] });
    await res.arrayBuffer();
    if (res.status !== status) throw new Error(`${target} answered ${res.status}`);
  };
  const postSegment = sender(`http://127.0.0.1:${port}/v1/batch`, { authorization: basic }, segmentPayloads, 200);
  const postNative = sender(url, { authorization: `Bearer ${key}` }, nativePayloads, 202);
  await closedLoop(2, postSegment);
  await closedLoop(2, postNative);
  let segmentRequests = 0;
  let nativeRequests = 0;
  // Short turns in alternating order, so that a change of the machine's load falls on both.
  const ROUNDS = 4;
  for (let round = 0; round < ROUNDS; round++) {
    const turns = round % 2 === 0 ? [postNative, postSegment] : [postSegment, postNative];
    for (const turn of turns) {
      const rate = await closedLoop(SECONDS / ROUNDS, turn);
      if (turn === postNative) nativeRequests += rate;
      else segmentRequests += rate;
    }
  }
  const segmentRate = (segmentRequests / ROUNDS) * PER_REQUEST;
  const nativeSameRate = (nativeRequests / ROUNDS) * PER_REQUEST;
  const trackBytes = Math.round(segmentPayloads[0]!.length / PER_REQUEST);
  console.log(
    `tracking API: ${Math.round(segmentRate)} events/s in batches of ${PER_REQUEST} track messages (${trackBytes} B each); ` +
      `native endpoint, same information: ${Math.round(nativeSameRate)} events/s; ratio ${(segmentRate / nativeSameRate).toFixed(2)}`,
  );
  const sinkRss = sink.peakRssMb();
  await sink.stop();

  const batches = bodies.map((events) => events.map((text): ProducedMessage => {
    const id = randomUUID();
    return { key: id, value: text, headers: { [HEADERS.id]: id, [HEADERS.receivedAt]: String(Date.now()) } };
  }));
  const bareRate = async (client: KafkaClient) => {
    const producer = await client.producer();
    const send = (i: number) => producer.send([{ topic: raw, messages: batches[i % batches.length]! }]);
    await closedLoop(3, send);
    const rate = (await closedLoop(SECONDS, send)) * PER_REQUEST;
    await producer.close();
    return rate;
  };
  const sinkClient = (process.env.KAFKA_CLIENT ?? "platformatic") as "kafkajs" | "platformatic";
  const bareKafkajs = await bareRate(scratch.kafka);
  const bareSame = sinkClient === "kafkajs" ? bareKafkajs : await bareRate(createKafkaClient(sinkClient, { brokers: scratch.endpoints.kafka.brokers, clientId: "bench" }));
  console.log(`bare producers (same messages, ${PER_REQUEST} per send, ${CONCURRENCY} in flight): kafkajs ${Math.round(bareKafkajs)}/s, ${sinkClient} ${Math.round(bareSame)}/s`);

  report({
    bench: "sink",
    events_per_s: Math.round(sinkRate),
    kafka_client: sinkClient,
    bare_kafkajs_events_per_s: Math.round(bareKafkajs),
    ratio_to_bare_kafkajs: Number((sinkRate / bareKafkajs).toFixed(2)),
    bare_same_client_events_per_s: Math.round(bareSame),
    ratio_to_bare_same_client: Number((sinkRate / bareSame).toFixed(2)),
    latency_at_events_per_s: Math.round(latencyRate),
    p50_ms: Number(p50.toFixed(1)),
    p99_ms: Number(p99.toFixed(1)),
    events_per_request: PER_REQUEST,
    bytes_per_event: bytesPerEvent,
    segment_events_per_s: Math.round(segmentRate),
    native_same_information_events_per_s: Math.round(nativeSameRate),
    segment_ratio_to_native: Number((segmentRate / nativeSameRate).toFixed(2)),
    segment_bytes_per_message: trackBytes,
    sink_rss_mb: sinkRss,
    bench_rss_mb: peakRssMb(),
  });
} finally {
  await scratch.cleanup();
}

/** Requests per second with CONCURRENCY requests always in flight. */
async function closedLoop(seconds: number, call: (i: number) => Promise<unknown>): Promise<number> {
  const end = performance.now() + seconds * 1000;
  let done = 0;
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < end) {
        await call(next++);
        done++;
      }
    }),
  );
  return done / ((performance.now() - started) / 1000);
}

/** Sends at a fixed rate whatever the answers' pace, and returns each request's latency (ms), sorted. */
async function openLoop(seconds: number, perSecond: number, call: (i: number) => Promise<unknown>): Promise<number[]> {
  const latencies: number[] = [];
  const inflight: Promise<void>[] = [];
  const interval = 1000 / perSecond;
  const start = performance.now();
  for (let i = 0; performance.now() - start < seconds * 1000; i++) {
    const due = start + i * interval;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const sent = performance.now();
    inflight.push(call(i).then(() => void latencies.push(performance.now() - sent)));
  }
  await Promise.all(inflight);
  return latencies.sort((a, b) => a - b);
}

/** One request's events (see sample-events.ts). */
function requestEvents(r: number): string[] {
  return Array.from({ length: PER_REQUEST }, (_, i) => sampleEvent(r * PER_REQUEST + i, `r${r}-${i}`));
}
