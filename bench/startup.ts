/**
 * Start-up time of each service: from spawning its process to its ready log line, against the
 * running stack, as the services start in production. Each service is started ROUNDS times in
 * turn; the figure is the median. What a service does before it is ready (connect to Kafka and
 * Postgres, run the registry's migrations) is in every figure; what differs between two builds is
 * what Node does before the first line of the service runs.
 *
 * Run: npm run bench:startup   (needs `npm run stack -- up`; STARTUP_BENCH_ROUNDS, default 5)
 * The last line printed is one JSON object with the figures.
 */
import { randomBytes } from "node:crypto";
import { dropBucket, ensureBucket, s3Client } from "@schematizer/s3";
import type { ServiceName } from "@schematizer/stack";
import { batcherEnv, benchScratch, freePort, report, startBenchService } from "./bench-kit.ts";

const ROUNDS = Number(process.env.STARTUP_BENCH_ROUNDS ?? 5);

const scratch = await benchScratch();
const bucket = `bench-${randomBytes(4).toString("hex")}`;
const s3 = s3Client(scratch.endpoints.s3);
await ensureBucket(s3, bucket);
try {
  const services: Record<ServiceName, { readyLog: string; env: () => Promise<Record<string, string>> }> = {
    "event-sink": {
      readyLog: "event-sink listening",
      env: async () => ({ ...scratch.serviceEnv("event-sink"), SINK_PORT: String(await freePort()), SINK_HOST: "127.0.0.1" }),
    },
    sqlizer: { readyLog: "sqlizer running", env: async () => ({ ...scratch.serviceEnv("sqlizer"), SQLIZER_PORT: String(await freePort()) }) },
    batcher: { readyLog: "batcher started", env: async () => batcherEnv(scratch, bucket, await freePort()) },
    franz: {
      readyLog: "franz listening",
      env: async () => ({ ...scratch.serviceEnv("franz"), FRANZ_PORT: String(await freePort()), FRANZ_HOST: "127.0.0.1", FRANZ_ADMIN_TOKEN: randomBytes(16).toString("hex") }),
    },
  };
  const times: Record<string, number[]> = Object.fromEntries(Object.keys(services).map((name) => [name, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, { readyLog, env }] of Object.entries(services) as [ServiceName, (typeof services)[ServiceName]][]) {
      const service = await startBenchService(name, await env(), readyLog);
      times[name]!.push(service.readyMs);
      await service.stop();
    }
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  for (const [name, values] of Object.entries(times)) console.log(`${name}: ${values.join(", ")} ms`);
  report({
    bench: "startup",
    node: process.version,
    rounds: ROUNDS,
    ...Object.fromEntries(Object.entries(times).map(([name, values]) => [`${name.replace("-", "_")}_ready_ms`, median(values)])),
  });
} finally {
  await dropBucket(s3, bucket).catch(() => undefined);
  s3.destroy();
  await scratch.cleanup();
}
