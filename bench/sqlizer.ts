/**
 * sqlizer throughput: one sqlizer process drains a raw topic filled beforehand with events as
 * event-sink writes them (several kinds, nested bodies, evolving schemas), into typed Avro rows
 * on sql.<app>, against the real broker and registry. In the same run, a bare loop on the same
 * client (KAFKA_CLIENT, platformatic by default as for sqlizer) drains the same topic: consume a
 * batch, produce its messages unchanged, commit. The ratio shows what schematizing costs on top
 * of moving the bytes. The sqlizer's CPU time per event is steadier than its rate on a shared
 * machine.
 *
 * Run: npm run bench:sqlizer   (needs `npm run stack -- up`; SQLIZER_BENCH_EVENTS)
 * The last line printed is one JSON object with the figures.
 */
import { HEADERS, topicsFor } from "@schematizer/contracts";
import { createKafkaClient, KAFKA_CLIENTS, type KafkaClientKind, type ProducedMessage } from "@schematizer/kafka";
import { waitFor } from "@schematizer/errors";
import { benchScratch, freePort, peakRssMb, report, startBenchService } from "./bench-kit.ts";

const EVENTS = Number(process.env.SQLIZER_BENCH_EVENTS ?? 300_000);
const PARTITIONS = 4;
/** The client sqlizer runs on (its default unless KAFKA_CLIENT says otherwise); the bare loop uses it too. */
const CLIENT = (process.env.KAFKA_CLIENT ?? "platformatic") as KafkaClientKind;
if (!KAFKA_CLIENTS.includes(CLIENT)) throw new Error(`KAFKA_CLIENT must be one of ${KAFKA_CLIENTS.join(", ")}`);

const scratch = await benchScratch();
try {
  await scratch.createApp("bench", PARTITIONS);
  const topics = topicsFor("bench", scratch.prefix);
  const copy = `${scratch.prefix}copy`;
  await scratch.admin.createTopics([{ name: copy, partitions: PARTITIONS }]);

  const producer = await scratch.kafka.producer();
  for (let i = 0; i < EVENTS; i += 5000) {
    await producer.send([{ topic: topics.raw, messages: Array.from({ length: Math.min(5000, EVENTS - i) }, (_, j) => rawEvent(i + j)) }]);
  }
  console.log(`${EVENTS} raw events in ${topics.raw}`);

  // The service under test, as it runs in production.
  const sqlizer = await startBenchService(
    "sqlizer",
    { ...scratch.serviceEnv(), KAFKA_CLIENT: CLIENT, SQLIZER_PORT: String(await freePort()), SQLIZER_GROUP_ID: `${scratch.prefix}sqlizer`, SQLIZER_TOPIC_REFRESH_MS: "200" },
    "sqlizer running",
  );
  const cpuBefore = sqlizer.cpuMs();
  const sqlizerRate = await drainRate(topics.sql, EVENTS);
  const sqlizerCpuUs = ((sqlizer.cpuMs() - cpuBefore) * 1000) / EVENTS;
  const sqlizerRss = sqlizer.peakRssMb();
  await sqlizer.stop();
  console.log(`sqlizer: ${Math.round(sqlizerRate)} events/s, peak RSS ${sqlizerRss} MB`);

  // The bare loop: same client, same batches, no schematizing.
  const bare = createKafkaClient(CLIENT, { brokers: scratch.endpoints.kafka.brokers, clientId: "bench-bare" });
  const bareProducer = await bare.producer();
  const consumer = await bare.consumer({ groupId: `${scratch.prefix}bare`, topics: [topics.raw] });
  await consumer.run(async (batch) => {
    await bareProducer.send([{ topic: copy, messages: batch.messages.map((m) => ({ key: m.key, value: m.value, headers: m.headers as Record<string, Buffer> })) }]);
  });
  const bareRate = await drainRate(copy, EVENTS);
  await consumer.close();
  await bareProducer.close();
  await producer.close();
  console.log(`bare consume-then-produce: ${Math.round(bareRate)} events/s`);

  const versions = (await scratch.registry.listTables("bench")).length;
  report({
    bench: "sqlizer",
    kafka_client: CLIENT,
    events_per_s: Math.round(sqlizerRate),
    bare_consume_produce_per_s: Math.round(bareRate),
    ratio: Number((sqlizerRate / bareRate).toFixed(2)),
    events: EVENTS,
    tables: versions,
    sqlizer_cpu_us_per_event: Number(sqlizerCpuUs.toFixed(1)),
    sqlizer_rss_mb: sqlizerRss,
    bench_rss_mb: peakRssMb(),
  });
} finally {
  await scratch.cleanup();
}

/** Events per second into `topic`, from its first message to its `expected`th (partition ends polled). */
async function drainRate(topic: string, expected: number): Promise<number> {
  const total = async () => (await scratch.admin.topicOffsets(topic)).reduce((sum, p) => sum + Number(p.high), 0);
  let first = 0;
  let firstAt = 0;
  await waitFor(`output on ${topic}`, async () => {
    const n = await total();
    if (n === 0) return undefined;
    [first, firstAt] = [n, performance.now()];
    return true;
  }, { timeoutMs: 120_000, intervalMs: 20 });
  await waitFor(`${expected} messages on ${topic}`, async () => ((await total()) >= expected ? true : undefined), {
    timeoutMs: 600_000,
    intervalMs: 20,
  });
  return (expected - first) / ((performance.now() - firstAt) / 1000);
}

function rawEvent(n: number): ProducedMessage {
  const kind = n % 5;
  // Schemas evolve along the stream: fields appear, integers turn fractional.
  const late = n > EVENTS / 2;
  const body =
    kind === 0
      ? { level: late && n % 3 === 0 ? (n % 50) + 0.5 : n % 50, mission_name: `m${n % 17}`, is_premium: n % 3 === 0, ...(late ? { streak: n % 9 } : {}) }
      : kind === 1
        ? { device: { os: n % 2 ? "ios" : "android", version: `${n % 12}.0`, model: `x${n % 30}` }, session: n }
        : kind === 2
          ? { amount: (n % 1000) / 10, currency: "EUR", items: [n % 5, n % 7], coupon: n % 11 === 0 ? "FREE" : null }
          : kind === 3
            ? { page: `/p/${n % 40}`, ms: n % 900, referrer: { host: `h${n % 8}.example`, path: "/" } }
            : { text: `message ${n}`, ok: n % 2 === 0, tags: ["a", "b"] };
  const id = `e${n}`;
  return {
    key: `u${n % 997}`,
    value: JSON.stringify({ ts: 1420072292000 + n, entype: "user", evname: ["pass_mission", "login", "purchase", "view", "chat"][kind], enid: `u${n % 997}`, body }),
    headers: { [HEADERS.id]: id, [HEADERS.receivedAt]: String(1420072292000 + n) },
  };
}
