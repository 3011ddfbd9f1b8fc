/**
 * The whole pipeline for one test, every service a real process: franz's CLI creates the apps,
 * event-sink takes HTTP, sqlizer and the batcher run, and rows land in the warehouse (schemas
 * named `<test schema>_<app>` in the test's database, dropped afterwards).
 */
import { spawnSync } from "node:child_process";
import { waitFor } from "@schematizer/errors";
import type { KafkaClientKind } from "@schematizer/kafka";
import { createPool, quoteIdent } from "@schematizer/postgres";
import { repoRoot, serviceCommand, serviceEnv, type Endpoints, type ServiceName, type ServiceScope } from "@schematizer/stack";
import { freePort, startService, type BucketFixture, type IsolatedDatabase, type KafkaFixture, type ServiceProcess } from "@schematizer/testing";
import type pg from "pg";

export interface PipelineOptions {
  /** Brokers to use instead of the stack's (a private broker the test restarts). */
  brokers?: string[];
  sqlizers?: number;
  /** KAFKA_CLIENT of every service (each service's own default when absent). */
  kafkaClient?: KafkaClientKind;
}

export interface Pipeline {
  /** Creates an app through franz's CLI; returns its write key. */
  createApp(name: string, flags?: string[]): string;
  /** Runs franz's CLI with these arguments against the pipeline's registry; returns what it printed. */
  franz(args: string[]): string;
  /** event-sink's base URL, `http://127.0.0.1:<port>`. */
  sinkUrl: string;
  /** POSTs events (a JSON array) with the app's key; returns the status and body. */
  send(app: string, key: string, events: unknown[]): Promise<{ status: number; body: Record<string, unknown> }>;
  /** POSTs a body exactly as given (say, one event's JSON text) with the app's key. */
  post(app: string, key: string, body: string): Promise<{ status: number; body: Record<string, unknown> }>;
  /** Rows of a table, ordered by _sz_id, once at least `count` are there. */
  rows(app: string, table: string, count: number, timeoutMs?: number): Promise<Record<string, unknown>[]>;
  /** Column name → Postgres type of a table, in column order. */
  columns(app: string, table: string): Promise<[string, string][]>;
  warehouse: pg.Pool;
  schemaOf(app: string): string;
  services: Record<"sink" | "batcher", ServiceProcess> & { sqlizers: ServiceProcess[] };
  /** Starts a service again after a kill, with the same settings. */
  restart(name: "sink" | "batcher" | `sqlizer-${number}`): Promise<void>;
  stop(): Promise<void>;
}

export async function startPipeline(
  fixtures: { kafka: KafkaFixture; db: IsolatedDatabase; bucket: BucketFixture; endpoints: Endpoints },
  options: PipelineOptions = {},
): Promise<Pipeline> {
  const { kafka, db, bucket, endpoints } = fixtures;
  // The test's corner of the stack: its database schema, topic prefix and bucket.
  const scope: ServiceScope = {
    ...(options.brokers ? { brokers: options.brokers } : {}),
    databaseUrl: db.url,
    schema: db.schema,
    topicPrefix: kafka.prefix,
    bucket: bucket.bucket,
    ...(options.kafkaClient ? { kafkaClient: options.kafkaClient } : {}),
  };
  const schemaPrefix = `${db.schema}_`;
  const sinkPort = await freePort();
  const envs: Record<string, Record<string, string>> = {
    sink: { ...serviceEnv("event-sink", endpoints, scope), SINK_PORT: String(sinkPort), SINK_HOST: "127.0.0.1", SINK_AUTH_CACHE_MS: "1000" },
    batcher: {
      ...serviceEnv("batcher", endpoints, scope),
      // The same name the scope gives it, registered with the fixture so that it is deleted after the test.
      BATCHER_GROUP_ID: kafka.group("batcher"),
      BATCHER_ARCHIVE_GROUP_ID: kafka.group("archiver"),
      BATCHER_PORT: "0",
      BATCHER_TOPIC_REFRESH_MS: "500",
      BATCHER_LOAD_POLL_MS: "200",
      BATCHER_RETRY_BASE_MS: "200",
      BATCHER_RETRY_MAX_MS: "2000",
    },
  };
  const sqlizerGroup = kafka.group("sqlizer");
  const sqlizerCount = options.sqlizers ?? 1;
  for (let i = 1; i <= sqlizerCount; i++) {
    envs[`sqlizer-${i}`] = { ...serviceEnv("sqlizer", endpoints, scope), SQLIZER_GROUP_ID: sqlizerGroup, SQLIZER_PORT: "0", SQLIZER_TOPIC_REFRESH_MS: "500", SQLIZER_INSTANCE: `e2e-${i}` };
  }
  const app = (name: string): ServiceName => (name === "sink" ? "event-sink" : name.startsWith("sqlizer") ? "sqlizer" : "batcher");
  const ready = { "event-sink": "event-sink listening", sqlizer: "sqlizer running", batcher: "batcher started" };
  const launch = async (name: string) => {
    const service = startService(app(name), envs[name]!);
    await service.waitForLog(ready[app(name) as keyof typeof ready], 60_000);
    return service;
  };

  const processes = new Map<string, ServiceProcess>();
  for (const name of Object.keys(envs)) processes.set(name, await launch(name));
  const warehouse = createPool({ connectionString: db.url, max: 4 });
  const schemaOf = (appName: string) => `${schemaPrefix}${appName}`;

  const pipeline: Pipeline = {
    createApp(name, flags = []) {
      return (JSON.parse(pipeline.franz(["apps", "create", name, ...flags, "--json"])) as { writeKey: string }).writeKey;
    },
    franz(args) {
      const cli = serviceCommand("franz", "cli");
      const out = spawnSync(cli.command, [...cli.args, ...args], {
        cwd: repoRoot(),
        encoding: "utf8",
        env: { ...process.env, ...serviceEnv("franz", endpoints, scope), FRANZ_RAW_PARTITIONS: "2", FRANZ_SQL_PARTITIONS: "2" },
      });
      if (out.status !== 0) throw new Error(`franz ${args.join(" ")}: ${out.stderr}`);
      return out.stdout;
    },
    sinkUrl: `http://127.0.0.1:${sinkPort}`,
    send(appName, key, events) {
      return pipeline.post(appName, key, JSON.stringify(events));
    },
    async post(appName, key, body) {
      const res = await fetch(`http://127.0.0.1:${sinkPort}/v1/apps/${appName}/events`, {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        body,
      });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    },
    async rows(appName, table, count, timeoutMs = 60_000) {
      const sql = `SELECT * FROM ${quoteIdent(schemaOf(appName))}.${quoteIdent(table)} ORDER BY _sz_id`;
      return waitFor(`${count} rows in ${appName}.${table}`, async () => {
        const { rows } = await warehouse.query(sql).catch(() => ({ rows: [] as Record<string, unknown>[] }));
        return rows.length >= count ? rows : undefined;
      }, { timeoutMs, intervalMs: 200 });
    },
    async columns(appName, table) {
      const { rows } = await warehouse.query<{ column_name: string; type: string }>(
        `SELECT a.attname AS column_name, format_type(a.atttypid, a.atttypmod) AS type
           FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname = $1 AND c.relname = $2 AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`,
        [schemaOf(appName), table],
      );
      return rows.map((r) => [r.column_name, r.type]);
    },
    warehouse,
    schemaOf,
    services: {
      get sink() {
        return processes.get("sink")!;
      },
      get batcher() {
        return processes.get("batcher")!;
      },
      get sqlizers() {
        return [...processes.entries()].filter(([n]) => n.startsWith("sqlizer")).map(([, p]) => p);
      },
    },
    async restart(name) {
      processes.set(name, await launch(name));
    },
    async stop() {
      await Promise.all([...processes.values()].map((p) => p.stop()));
      const { rows } = await warehouse.query<{ nspname: string }>(`SELECT nspname FROM pg_namespace WHERE starts_with(nspname, $1)`, [schemaPrefix]);
      for (const { nspname } of rows) await warehouse.query(`DROP SCHEMA ${quoteIdent(nspname)} CASCADE`);
      await warehouse.end();
    },
  };
  return pipeline;
}
