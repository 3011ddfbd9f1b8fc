/**
 * What the service benchmarks share: a scratch corner of the running stack (topic prefix,
 * registry schema) that is removed afterwards, an app in the registry, the service under test as
 * a real child process, and the figures' arithmetic.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { waitFor } from "@schematizer/errors";
import { topicsFor } from "@schematizer/contracts";
import { kafkajsClient, type Admin, type KafkaClient } from "@schematizer/kafka";
import { createPool, quoteIdent } from "@schematizer/postgres";
import { openRegistry, type Registry } from "@schematizer/registry";
import {
  buildServices,
  createStack,
  repoRoot,
  resolveEndpoints,
  serviceCommand,
  serviceEnv,
  sharedServiceEnv,
  type Endpoints,
  type ServiceName,
  type ServiceScope,
} from "@schematizer/stack";
import type pg from "pg";

export { freePort } from "@schematizer/stack";

export interface BenchScratch {
  endpoints: Endpoints;
  prefix: string;
  schema: string;
  pool: pg.Pool;
  kafka: KafkaClient;
  admin: Admin;
  registry: Registry;
  /** Creates an app in the registry with its three topics; returns its write key. */
  createApp(app: string, partitions: number): Promise<string>;
  /** The corner of the stack the benchmark works in. */
  scope: ServiceScope;
  /**
   * A service's environment in this scratch corner (its consumer group under the prefix; the
   * batcher's ledger and warehouse schemas); without a service, the variables every service reads.
   */
  serviceEnv(service?: ServiceName): Record<string, string>;
  cleanup(): Promise<void>;
}

/** Fails unless the stack answers: benchmarks measure the real thing. Builds the services' bundles, which they start. */
export async function benchScratch(): Promise<BenchScratch> {
  const [status] = await Promise.all([createStack().status(), buildServices()]);
  const down = status.filter((s) => !s.ready);
  if (down.length > 0) throw new Error(`start the stack first (npm run stack -- up): ${down.map((s) => s.name).join(", ")} down`);
  const endpoints = resolveEndpoints();
  const id = `${Date.now().toString(36)}${randomBytes(3).toString("hex")}`;
  const prefix = `bench_${id}.`;
  const schema = `bench_${id}`;
  const pool = createPool({ connectionString: endpoints.postgres.url, max: 4 });
  await pool.query(`CREATE SCHEMA ${quoteIdent(schema)}`);
  const registry = await openRegistry({ pool, schema, topicPrefix: prefix });
  const kafka = kafkajsClient({ brokers: endpoints.kafka.brokers, clientId: "bench" });
  const admin = await kafka.admin();
  const scope: ServiceScope = { schema, topicPrefix: prefix, logLevel: "warn" };
  return {
    endpoints,
    prefix,
    schema,
    pool,
    kafka,
    admin,
    registry,
    async createApp(app, partitions) {
      const { key } = await registry.apps.createApp(app);
      const t = topicsFor(app, prefix);
      await admin.createTopics([t.raw, t.sql, t.dlq].map((name) => ({ name, partitions })));
      return key;
    },
    scope,
    serviceEnv: (service) => (service === undefined ? sharedServiceEnv(endpoints, scope) : serviceEnv(service, endpoints, scope)),
    async cleanup() {
      await admin.deleteTopics((await admin.listTopics()).filter((t) => t.startsWith(prefix)));
      await admin.close();
      await pool.query(`DROP SCHEMA ${quoteIdent(schema)} CASCADE`);
      await pool.end();
    },
  };
}

/** The environment of a batcher loading this scratch corner's apps into `<schema>_<app>` schemas of the stack's Postgres. */
export function batcherEnv(scratch: BenchScratch, bucket: string, port: number): Record<string, string> {
  return { ...serviceEnv("batcher", scratch.endpoints, { ...scratch.scope, bucket }), BATCHER_PORT: String(port), BATCHER_TOPIC_REFRESH_MS: "500" };
}

/** A service as a child process, as it runs in production. */
export interface BenchService {
  pid: number;
  /** Milliseconds from spawning the process to its ready log line. */
  readyMs: number;
  /** Peak resident memory so far, in MB (VmHWM). */
  peakRssMb(): number;
  /** CPU time (user and system) the process has used so far, in ms. */
  cpuMs(): number;
  stop(): Promise<void>;
}

/**
 * Starts a service as it runs in production, from its bundle (built by `benchScratch`).
 * BENCH_NODE_FLAGS adds node flags to every service, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof"
 * for a profile of each.
 */
export async function startBenchService(app: ServiceName, env: Record<string, string>, readyLog: string, nodeFlags: string[] = []): Promise<BenchService> {
  const extraFlags = process.env.BENCH_NODE_FLAGS?.split(" ").filter(Boolean) ?? [];
  const { command, args } = serviceCommand(app, "main", [...extraFlags, ...nodeFlags]);
  const child: ChildProcess = spawn(command, args, {
    cwd: repoRoot(),
    env: { ...process.env, ...env, LOG_LEVEL: "info" },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const spawnedAt = performance.now();
  let readyAt: number | undefined;
  let output = "";
  child.stdout!.on("data", (chunk: Buffer) => {
    output += chunk.toString();
    if (readyAt === undefined && output.includes(readyLog)) readyAt = performance.now();
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  await waitFor(`${app} to start`, async () => {
    if (child.exitCode !== null) throw new Error(`${app} exited: ${output}`);
    return readyAt !== undefined ? true : undefined;
  }, { timeoutMs: 60_000, intervalMs: 50 });
  return {
    pid: child.pid!,
    readyMs: Math.round(readyAt! - spawnedAt),
    peakRssMb: () => peakRssMb(child.pid!),
    cpuMs: () => cpuMs(child.pid!),
    async stop() {
      child.kill("SIGTERM");
      await exited;
    },
  };
}

/** CPU time (user and system) of a process so far, in ms, from /proc (clock ticks of 10 ms). */
export function cpuMs(pid: number | "self" = "self"): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // Fields after the command name, which is in parentheses and may hold spaces.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

export function peakRssMb(pid: number | "self" = "self"): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return Math.round(kb / 1024);
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Prints the figures; the last line of every benchmark is this one JSON object. */
export function report(figures: Record<string, string | number>): void {
  console.log(JSON.stringify(figures));
}
