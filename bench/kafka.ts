/**
 * The project's Kafka interface on kafkajs and on @platformatic/kafka, against the real broker,
 * in one run. Each pass runs in a child process of its own, so each figure (CPU time, peak RSS)
 * is one client's alone; the passes alternate between the clients, and the figures reported are
 * the medians over the rounds.
 *
 * 1. Produce: 500-message batches like event-sink's (~140-byte JSON, a key, the `sz-id` and
 *    `sz-received-at` headers), acks=all, 8 batches in flight, for KAFKA_BENCH_SECONDS after a
 *    warm-up: messages/s.
 * 2. Consume: a fresh consumer group reads 200,000 such messages from the beginning through
 *    `run(handler)`, committing each batch: messages/s from the first batch to the last (the
 *    group join is left out), after a warm-up read of another topic.
 * Each figure comes with the process's CPU time per 100k messages (process.cpuUsage, user +
 * system) and its peak RSS.
 *
 * Run: npm run bench:kafka   (needs `npm run stack -- up`; KAFKA_BENCH_SECONDS, KAFKA_BENCH_ROUNDS)
 * The last line printed is one JSON object with the figures; ratios are platformatic / kafkajs.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { sampleEntity, sampleEvent } from "./sample-events.ts";
import { HEADERS } from "@schematizer/contracts";
import { kafkajsClient, platformaticClient, type KafkaClient, type ProducedMessage } from "@schematizer/kafka";

const SECONDS = Number(process.env.KAFKA_BENCH_SECONDS ?? 5);
const ROUNDS = Number(process.env.KAFKA_BENCH_ROUNDS ?? 3);
const WARMUP_SECONDS = 3;
const IN_FLIGHT = 8;
const PER_BATCH = 500;
const PARTITIONS = 6;
const CONSUME_COUNT = 200_000;
const WARMUP_COUNT = 30_000;
const CLIENTS = ["kafkajs", "platformatic"] as const;
type ClientName = (typeof CLIENTS)[number];

interface PassFigures {
  per_s: number;
  cpu_ms_per_100k: number;
  peak_rss_mb: number;
}

type Pass =
  | { mode: "produce"; client: ClientName; brokers: string[]; topic: string }
  | { mode: "consume"; client: ClientName; brokers: string[]; topic: string; warmTopic: string; groupId: string };

const childPass = process.env.KAFKA_BENCH_PASS;
if (childPass) {
  const figures = await runPass(JSON.parse(childPass) as Pass);
  console.log(JSON.stringify(figures));
  process.exit(0);
} else {
  await main();
}

async function main(): Promise<void> {
  // Only here: a pass's child process loads nothing but the client under test.
  const { createStack, resolveEndpoints } = await import("@schematizer/stack");
  const down = (await createStack().status()).filter((s) => s.name === "kafka" && !s.ready);
  if (down.length > 0) throw new Error("start the stack first (npm run stack -- up): kafka is down");
  const brokers = resolveEndpoints().kafka.brokers;
  const prefix = `bench_kafka_${Date.now().toString(36)}${randomBytes(3).toString("hex")}.`;
  const kafka = kafkajsClient({ brokers, clientId: "bench-kafka" });
  const admin = await kafka.admin();
  const groups: string[] = [];
  try {
    const source = `${prefix}source`;
    const warm = `${prefix}warm`;
    await admin.createTopics([source, warm].map((name) => ({ name, partitions: PARTITIONS })));
    const producer = await kafka.producer();
    const batches = eventBatches(16);
    for (const [topic, count] of [[source, CONSUME_COUNT], [warm, WARMUP_COUNT]] as const) {
      for (let sent = 0; sent < count; sent += PER_BATCH * IN_FLIGHT) {
        await Promise.all(
          Array.from({ length: IN_FLIGHT }, (_, i) => producer.send([{ topic, messages: batches[(sent / PER_BATCH + i) % batches.length]! }])),
        );
      }
    }
    await producer.close();
    console.log(`seeded ${CONSUME_COUNT} messages (${PARTITIONS} partitions) to consume, ${WARMUP_COUNT} to warm up`);

    const results: Record<string, PassFigures[]> = {};
    const record = (name: string, figures: PassFigures) => (results[name] ??= []).push(figures);
    for (let round = 0; round < ROUNDS; round++) {
      // ABBA: whichever goes first in a round goes second in the next.
      const order = round % 2 === 0 ? CLIENTS : ([...CLIENTS].reverse() as ClientName[]);
      for (const client of order) {
        const topic = `${prefix}produce.${client}.${round}`;
        await admin.createTopics([{ name: topic, partitions: PARTITIONS }]);
        const figures = await spawnPass({ mode: "produce", client, brokers, topic });
        console.log(`round ${round + 1} produce ${client}: ${line(figures)}`);
        record(`${client}_produce`, figures);
        await admin.deleteTopics([topic]);
      }
      for (const client of order) {
        const groupId = `${prefix}${client}.${round}`;
        groups.push(groupId, `${groupId}.warm`);
        const figures = await spawnPass({ mode: "consume", client, brokers, topic: source, warmTopic: warm, groupId });
        console.log(`round ${round + 1} consume ${client}: ${line(figures)}`);
        record(`${client}_consume`, figures);
      }
    }

    const median = (name: string, key: keyof PassFigures) => {
      const sorted = results[name]!.map((f) => f[key]).sort((a, b) => a - b);
      return sorted[Math.floor(sorted.length / 2)]!;
    };
    const peak = (client: ClientName) => Math.max(...[...results[`${client}_produce`]!, ...results[`${client}_consume`]!].map((f) => f.peak_rss_mb));
    const figures: Record<string, string | number> = { bench: "kafka" };
    for (const kind of ["produce", "consume"] as const) {
      for (const client of CLIENTS) {
        figures[`${client}_${kind}_per_s`] = median(`${client}_${kind}`, "per_s");
        figures[`${client}_${kind}_cpu_ms_per_100k`] = median(`${client}_${kind}`, "cpu_ms_per_100k");
      }
      figures[`${kind}_ratio`] = round2((figures[`platformatic_${kind}_per_s`] as number) / (figures[`kafkajs_${kind}_per_s`] as number));
    }
    figures.kafkajs_peak_rss_mb = peak("kafkajs");
    figures.platformatic_peak_rss_mb = peak("platformatic");
    figures.rss_mb = Math.max(peak("kafkajs"), peak("platformatic"));
    figures.rounds = ROUNDS;
    figures.produce_seconds = SECONDS;
    figures.bytes_per_value = Math.round(batches.flat().reduce((sum, m) => sum + String(m.value).length, 0) / (batches.length * PER_BATCH));
    console.log(JSON.stringify(figures));
  } finally {
    await admin.deleteGroups(groups).catch(() => undefined);
    await admin.deleteTopics((await admin.listTopics()).filter((t) => t.startsWith(prefix)));
    await admin.close();
  }
}

function spawnPass(pass: Pass): Promise<PassFigures> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", fileURLToPath(import.meta.url)], {
      env: { ...process.env, KAFKA_BENCH_PASS: JSON.stringify(pass) },
      stdio: ["ignore", "pipe", "inherit"],
    });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.once("error", reject);
    child.once("exit", (code) => {
      const last = output.trim().split("\n").at(-1) ?? "";
      if (code !== 0) reject(new Error(`${pass.mode} pass of ${pass.client} exited with ${code}: ${output}`));
      else resolve(JSON.parse(last) as PassFigures);
    });
  });
}

async function runPass(pass: Pass): Promise<PassFigures> {
  const client: KafkaClient =
    pass.client === "kafkajs"
      ? kafkajsClient({ brokers: pass.brokers, clientId: "bench-kafka" })
      : platformaticClient({ brokers: pass.brokers, clientId: "bench-kafka" });
  return pass.mode === "produce" ? producePass(client, pass.topic) : consumePass(client, pass);
}

async function producePass(client: KafkaClient, topic: string): Promise<PassFigures> {
  const producer = await client.producer();
  const batches = eventBatches(32);
  let next = 0;
  const closedLoop = async (seconds: number) => {
    const end = performance.now() + seconds * 1000;
    let sent = 0;
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (performance.now() < end) {
          await producer.send([{ topic, messages: batches[next++ % batches.length]! }]);
          sent += PER_BATCH;
        }
      }),
    );
    return sent;
  };
  await closedLoop(WARMUP_SECONDS);
  const cpu = process.cpuUsage();
  const started = performance.now();
  const sent = await closedLoop(SECONDS);
  const figures = measured(sent, started, cpu);
  await producer.close();
  return figures;
}

async function consumePass(client: KafkaClient, pass: Extract<Pass, { mode: "consume" }>): Promise<PassFigures> {
  const read = async (topic: string, groupId: string, count: number) => {
    const consumer = await client.consumer({ groupId, topics: [topic], fromBeginning: true });
    let received = 0;
    let bytes = 0;
    let first = 0;
    let started = 0;
    let cpu = process.cpuUsage();
    let finished = 0;
    let done!: () => void;
    const all = new Promise<void>((resolve) => (done = resolve));
    await consumer.run(async (batch) => {
      if (started === 0) {
        started = performance.now();
        cpu = process.cpuUsage();
        first = batch.messages.length;
      }
      // Touch every message as a handler would.
      for (const m of batch.messages) bytes += m.value!.length + m.headers[HEADERS.id]!.length;
      received += batch.messages.length;
      if (received >= count && finished === 0) {
        finished = performance.now();
        done();
      }
    });
    await all;
    const cpuUsed = process.cpuUsage(cpu);
    await consumer.close();
    if (bytes === 0) throw new Error("read nothing");
    const perS = (received - first) / ((finished - started) / 1000);
    return { per_s: Math.round(perS), cpu_ms_per_100k: round2(((cpuUsed.user + cpuUsed.system) / 1000 / (received - first)) * 100_000), peak_rss_mb: peakRssMb() };
  };
  await read(pass.warmTopic, `${pass.groupId}.warm`, WARMUP_COUNT);
  return read(pass.topic, pass.groupId, CONSUME_COUNT);
}

function measured(count: number, started: number, cpu: NodeJS.CpuUsage): PassFigures {
  const elapsed = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  return {
    per_s: Math.round(count / elapsed),
    cpu_ms_per_100k: round2(((used.user + used.system) / 1000 / count) * 100_000),
    peak_rss_mb: peakRssMb(),
  };
}

/** Batches of event-sink's messages: the client's JSON text, keyed by entity, with its two headers. */
function eventBatches(count: number): ProducedMessage[][] {
  const receivedAt = String(Date.now());
  return Array.from({ length: count }, (_, b) =>
    Array.from({ length: PER_BATCH }, (_, i): ProducedMessage => {
      const n = b * PER_BATCH + i;
      const id = `r${b}-${i}`;
      return { key: sampleEntity(n), value: sampleEvent(n, id), headers: { [HEADERS.id]: id, [HEADERS.receivedAt]: receivedAt } };
    }),
  );
}

function line(f: PassFigures): string {
  return `${f.per_s} msg/s, ${f.cpu_ms_per_100k} ms CPU per 100k, peak RSS ${f.peak_rss_mb} MB`;
}

function peakRssMb(): number {
  const kb = Number(/VmHWM:\s+(\d+)/.exec(readFileSync("/proc/self/status", "utf8"))?.[1] ?? 0);
  return Math.round(kb / 1024);
}

function round2(x: number): number {
  return Number(x.toFixed(2));
}
