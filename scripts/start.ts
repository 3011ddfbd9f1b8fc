// `npm start`: the whole pipeline on local embedded defaults. Builds the services' bundles while
// the stack comes up, creates a demo app when none exists, runs event-sink, two sqlizers, the
// batcher and franz as separate processes from their bundles (as the image runs them), prints how
// to send an event and read its table, then a line of live figures every few seconds. Ctrl-C
// stops everything it started.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { waitFor } from "@schematizer/errors";
import { createPool, withDatabase } from "@schematizer/postgres";
import { openRegistry } from "@schematizer/registry";
import { buildServices, createStack, readStackEnv, repoRoot, resolveEndpoints, serviceCommand, serviceEnv, type ServiceName } from "@schematizer/stack";

const APP = process.env.DEMO_APP ?? "demo";
const PORTS = { sink: 8080, sqlizer: [8081, 8084], batcher: 8082, franz: 8083 };
const env = readStackEnv();
const endpoints = resolveEndpoints(env);
const root = repoRoot();
const logs = path.join(env.STACK_DIR, "logs");
mkdirSync(logs, { recursive: true });

const stack = createStack(env);
const [startedServers] = await Promise.all([
  stack.up((line) => console.log(`[stack] ${line}`)),
  buildServices().then(({ ms }) => console.log(`[start] built the services in ${ms} ms`)),
]);
const { writeKey, adminToken } = await prepareDemoApp();

const services: { name: string; child: ChildProcess; port: number }[] = [];
const launch = (name: string, app: ServiceName, port: number, extra: Record<string, string>) => {
  // The log file itself, not a pipe through this process: a service's last lines are kept even if this script dies first.
  const log = openSync(path.join(logs, `${name}.log`), "a");
  const { command, args } = serviceCommand(app);
  const child = spawn(command, args, {
    cwd: root,
    env: { ...process.env, ...serviceEnv(app, endpoints, { logLevel: "info" }), ...extra },
    stdio: ["ignore", log, log],
  });
  closeSync(log);
  child.once("exit", (code, signal) => {
    if (!stopping) console.error(`[start] ${name} exited (${signal ?? code}); see ${path.join(logs, `${name}.log`)}`);
  });
  services.push({ name, child, port });
};

let stopping = false;
launch("franz", "franz", PORTS.franz, { FRANZ_PORT: String(PORTS.franz), FRANZ_ADMIN_TOKEN: adminToken });
launch("event-sink", "event-sink", PORTS.sink, { SINK_PORT: String(PORTS.sink) });
PORTS.sqlizer.forEach((port, i) => launch(`sqlizer-${i + 1}`, "sqlizer", port, { SQLIZER_PORT: String(port), SQLIZER_INSTANCE: `local-${i + 1}` }));
launch("batcher", "batcher", PORTS.batcher, { BATCHER_PORT: String(PORTS.batcher) });

process.on("SIGINT", () => void stop());
process.on("SIGTERM", () => void stop());

await waitFor("every service to be ready", async () => {
  const ready = await Promise.all(services.map(async (s) => (await fetch(`http://127.0.0.1:${s.port}/readyz`).catch(() => undefined))?.ok === true));
  return ready.every(Boolean) ? true : undefined;
}, { timeoutMs: 120_000, intervalMs: 250 });

const sample = JSON.stringify({ ts: "2015-01-01T00:31:32Z", entype: "user", evname: "pass_mission", body: { level: 7, mission_name: "caverns", is_premium: false } });
const warehouseUrl = withDatabase(endpoints.postgres.url, "warehouse");
console.log(`
schematizer is running (logs in ${logs}):
  event-sink   http://127.0.0.1:${PORTS.sink}/v1/apps/${APP}/events   (OpenAPI at /openapi.json)
  franz        http://127.0.0.1:${PORTS.franz}   admin token ${adminToken}   (schema registry at /registry)
  sqlizer ×2, batcher; Kafka ${endpoints.kafka.brokers.join(",")}, Postgres, S3 ${endpoints.s3.endpoint}

demo app "${APP}", write key ${writeKey}

send an event:
  curl -s -X POST http://127.0.0.1:${PORTS.sink}/v1/apps/${APP}/events -H 'Authorization: Bearer ${writeKey}' -H 'Content-Type: application/json' -d '${sample}'

read its table (a few seconds later):
  psql '${warehouseUrl}' -c 'SELECT level, COUNT(*) FROM ${APP}._e_user__pass_mission WHERE is_premium = false GROUP BY level'

manage apps: npm run franz -- apps describe ${APP}

Ctrl-C stops everything.
`);

let previous = { events: 0, rows: 0, at: Date.now() };
const ticker = setInterval(() => void liveLine(), 5_000);

async function liveLine(): Promise<void> {
  const [sink, batcher] = await Promise.all([scrape(PORTS.sink), scrape(PORTS.batcher)]);
  const events = sum(sink, "sink_events_accepted_total");
  const rows = sum(batcher, "batcher_rows_loaded_total");
  const freshness = max(batcher, "batcher_freshness_seconds");
  const seconds = (Date.now() - previous.at) / 1000;
  console.log(
    `[live] events in ${events} (${Math.round((events - previous.events) / seconds)}/s) · rows loaded ${rows} (${Math.round((rows - previous.rows) / seconds)}/s) · freshness ${freshness === undefined ? "–" : `${freshness.toFixed(1)} s`}`,
  );
  previous = { events, rows, at: Date.now() };
}

async function scrape(port: number): Promise<string> {
  return (await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text()).catch(() => "")) ?? "";
}

function samples(text: string, metric: string): number[] {
  return [...text.matchAll(new RegExp(`^${metric}(?:\\{[^}]*\\})? ([0-9.eE+-]+)$`, "gm"))].map((m) => Number(m[1]));
}
const sum = (text: string, metric: string) => samples(text, metric).reduce((a, b) => a + b, 0);
const max = (text: string, metric: string) => {
  const values = samples(text, metric);
  return values.length === 0 ? undefined : Math.max(...values);
};

async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  clearInterval(ticker);
  console.log("\n[start] stopping the services");
  await Promise.all(
    services.map(({ child }) => new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once("exit", () => resolve());
      child.kill("SIGTERM");
    })),
  );
  if (startedServers.length > 0) console.log(`[stack] stopped ${(await stack.down(startedServers)).join(", ")}`);
  process.exit(0);
}

/**
 * The demo app, created through franz's CLI (topics and all), with its write key and franz's admin
 * token kept in the stack's folder (git-ignored) so a restart prints the same ones. A key lost
 * from that folder is rotated.
 */
async function prepareDemoApp(): Promise<{ writeKey: string; adminToken: string }> {
  const keyFile = path.join(env.STACK_DIR, `${APP}.write-key`);
  const tokenFile = path.join(env.STACK_DIR, "franz.admin-token");
  if (!existsSync(tokenFile)) writeFileSync(tokenFile, randomBytes(24).toString("base64url"), { mode: 0o600 });
  const adminToken = readFileSync(tokenFile, "utf8").trim();

  const cli = serviceCommand("franz", "cli");
  const franz = (...args: string[]) => {
    const out = spawnSync(cli.command, [...cli.args, ...args, "--json"], {
      cwd: root,
      encoding: "utf8",
      env: { ...process.env, ...serviceEnv("franz", endpoints) },
    });
    return { ok: out.status === 0, json: out.status === 0 ? (JSON.parse(out.stdout) as Record<string, unknown>) : {}, error: out.stderr.trim() };
  };
  const created = franz("apps", "create", APP);
  let writeKey: string | undefined;
  if (created.ok) writeKey = created.json.writeKey as string;
  else if (!created.error.includes("FRANZ_APP_EXISTS")) throw new Error(`could not create the demo app: ${created.error}`);
  else {
    franz("apps", "repair-topics", APP);
    writeKey = existsSync(keyFile) ? readFileSync(keyFile, "utf8").trim() : undefined;
    if (writeKey === undefined || !(await keyWorks(writeKey))) writeKey = franz("apps", "rotate-key", APP).json.writeKey as string;
  }
  writeFileSync(keyFile, writeKey!, { mode: 0o600 });
  return { writeKey: writeKey!, adminToken };
}

async function keyWorks(key: string): Promise<boolean> {
  const pool = createPool({ connectionString: endpoints.postgres.url, max: 1 });
  try {
    return (await (await openRegistry({ pool })).apps.authenticate(APP, key)) === "ok";
  } finally {
    await pool.end();
  }
}
