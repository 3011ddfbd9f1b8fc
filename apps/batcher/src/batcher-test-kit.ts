/**
 * What the batcher's integration tests share: an app registered in a real registry, typed rows
 * produced to its sql topic as the sqlizer would, a batcher wired to the test's slice of the stack,
 * and queries an analyst would run on the warehouse.
 */
import { waitFor } from "@schematizer/errors";
import { confluentEncode, topicsFor } from "@schematizer/contracts";
import type { ProducedMessage } from "@schematizer/kafka";
import { createLogger, createMetricsRegistry } from "@schematizer/observability";
import { createPool, quoteIdent } from "@schematizer/postgres";
import { openRegistry, type Registry } from "@schematizer/registry";
import { coerce, observe, parseTimestamp, type JsonObject } from "@schematizer/schema";
import type { Endpoints } from "@schematizer/stack";
import type { BucketFixture, IsolatedDatabase, KafkaFixture, ServiceProcess } from "@schematizer/testing";
import type pg from "pg";
import { createBatcher, type Batcher, type BatcherDeps } from "./batcher.ts";
import { createLedger, migrateLedger, type Ledger } from "./ledger/ledger.ts";
import { postgresWarehouse } from "@schematizer/warehouse";

/** One event as a client sends it. */
export interface TestEvent {
  readonly id: string;
  readonly evname: string;
  readonly body: JsonObject;
  readonly ts?: string;
  readonly entype?: string;
  readonly enid?: string;
}

export interface BatcherHarness {
  readonly app: string;
  readonly registry: Registry;
  readonly ledger: Ledger;
  readonly sqlTopic: string;
  /** The app's schema in the warehouse. */
  readonly warehouseSchema: string;
  /** A pool on the warehouse database (the test database here). */
  readonly warehouse: pg.Pool;
  /** The environment a batcher child process needs for this slice of the stack. */
  readonly env: Record<string, string>;
  /** Encodes events as typed rows (evolving the registry as needed) and produces them, `chunk` per produce call. */
  send(events: readonly TestEvent[], chunk?: number): Promise<void>;
  /** An in-process batcher; stopped by `close`. */
  batcher(overrides?: Partial<BatcherDeps>): Promise<Batcher>;
  /** Rows of a table, ordered by `_sz_id`. */
  rows(table: string, columns?: string): Promise<Record<string, unknown>[]>;
  /** Waits until a table holds `count` rows. */
  waitForRows(table: string, count: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * Sets up an app: registry, sql topic, ledger, and the warehouse schema `<test schema>_<app>`.
 *
 * @example
 * ```ts
 * const h = await batcherHarness({ kafka, db, bucket }, "acme");
 * await h.send([{ id: "e1", evname: "login", body: { level: 7 } }]);
 * ```
 */
export async function batcherHarness(
  fixtures: { kafka: KafkaFixture; db: IsolatedDatabase; bucket: BucketFixture; endpoints: Endpoints },
  app: string,
  options: { partitions?: number } = {},
): Promise<BatcherHarness> {
  const { kafka, db, bucket, endpoints } = fixtures;
  const registry = await openRegistry({ pool: db.pool, schema: db.schema, topicPrefix: kafka.prefix });
  await registry.apps.createApp(app);
  const sqlTopic = await kafka.createTopic(`sql.${app}`, options.partitions ?? 1);
  await migrateLedger(db.pool, db.schema);
  const ledger = createLedger(db.pool, db.schema);
  const warehouse = createPool({ connectionString: db.url, max: 4 });
  const schemaPrefix = `${db.schema}_`;
  const warehouseSchema = `${schemaPrefix}${app}`;
  const groupId = kafka.group("batcher");
  const running: Batcher[] = [];
  const producer = await kafka.client.producer();

  const env: Record<string, string> = {
    KAFKA_BROKERS: endpoints.kafka.brokers.join(","),
    S3_ENDPOINT: endpoints.s3.endpoint,
    S3_REGION: endpoints.s3.region,
    S3_ACCESS_KEY_ID: endpoints.s3.accessKeyId,
    S3_SECRET_ACCESS_KEY: endpoints.s3.secretAccessKey,
    TOPIC_PREFIX: kafka.prefix,
    DATABASE_URL: db.url,
    REGISTRY_SCHEMA: db.schema,
    BATCHER_SCHEMA: db.schema,
    BATCHER_GROUP_ID: groupId,
    BATCHER_ARCHIVE_GROUP_ID: kafka.group("archiver"),
    BATCHER_PORT: "0",
    BATCHER_TOPIC_REFRESH_MS: "500",
    BATCHER_SESSION_TIMEOUT_MS: "6000",
    BATCHER_LOAD_POLL_MS: "200",
    BATCHER_RETRY_BASE_MS: "100",
    BATCHER_RETRY_MAX_MS: "1000",
    S3_BUCKET: bucket.bucket,
    WAREHOUSE_URL: db.url,
    WAREHOUSE_SCHEMA_PREFIX: schemaPrefix,
  };

  async function send(events: readonly TestEvent[], chunk = 5000): Promise<void> {
    const messages: ProducedMessage[] = [];
    for (const e of events) {
      const event = {
        ts: parseTimestamp(e.ts ?? "2015-01-01T00:31:32Z") as number,
        entype: e.entype ?? "user",
        evname: e.evname,
        body: e.body,
        ...(e.enid === undefined ? {} : { enid: e.enid }),
      };
      const { version } = await registry.evolve(app, event.entype, event.evname, observe(event.body));
      const { row } = coerce(version.schema, event, { id: e.id, receivedAt: Date.now() * 1000 });
      messages.push({ key: version.table, value: confluentEncode(version.id, version.schema, row) });
    }
    for (let i = 0; i < messages.length; i += chunk) await producer.send([{ topic: sqlTopic, messages: messages.slice(i, i + chunk) }]);
  }

  return {
    app,
    registry,
    ledger,
    sqlTopic,
    warehouseSchema,
    warehouse,
    env,
    send,
    async batcher(overrides = {}) {
      const batcher = createBatcher({
        kafka: kafka.client,
        ledger,
        controlUrl: db.url,
        store: bucket.store,
        versions: { versionById: (id) => registry.schemaById(id) },
        warehouse: postgresWarehouse({ pool: createPool({ connectionString: db.url, max: 4 }), store: bucket.store, schemaPrefix }),
        groupId,
        topicPrefix: kafka.prefix,
        fileLimits: { maxRows: 100_000, maxBytes: 64 * 1024 * 1024 },
        coalesce: { maxAgeMs: 0, minRows: 1, maxFiles: 16, maxRows: 400_000 },
        topicRefreshMs: 500,
        loadPollMs: 200,
        backoff: { baseMs: 50, maxMs: 500 },
        metrics: createMetricsRegistry("batcher", { processMetrics: false }),
        log: createLogger("batcher", process.env.TEST_LOG_LEVEL ?? "silent"),
        ...overrides,
      });
      running.push(batcher);
      await batcher.start();
      return batcher;
    },
    async rows(table, columns = "*") {
      const { rows } = await warehouse.query<Record<string, unknown>>(
        `SELECT ${columns} FROM ${quoteIdent(warehouseSchema)}.${quoteIdent(table)} ORDER BY "_sz_id"`,
      );
      return rows;
    },
    async waitForRows(table, count, timeoutMs = 30_000) {
      await waitFor(
        `${count} rows in ${table}`,
        async () => {
          const { rows } = await warehouse
            .query<{ n: string }>(`SELECT count(*) AS n FROM ${quoteIdent(warehouseSchema)}.${quoteIdent(table)}`)
            .catch(() => ({ rows: [{ n: "0" }] }));
          return Number(rows[0]?.n) >= count ? true : undefined;
        },
        { timeoutMs, intervalMs: 100 },
      );
    },
    async close() {
      for (const b of running) await b.stop().catch(() => undefined);
      await producer.close();
      const { rows } = await warehouse.query<{ nspname: string }>(`SELECT nspname FROM pg_namespace WHERE nspname LIKE $1`, [`${schemaPrefix}%`]);
      for (const r of rows) await warehouse.query(`DROP SCHEMA ${quoteIdent(r.nspname)} CASCADE`);
      await warehouse.end();
    },
  };
}

/**
 * Waits for a batcher process to end on its own (at its crash point) and returns its exit code:
 * null when a signal ended it.
 *
 * @example
 * ```ts
 * expect(await exitOf(startService("batcher", { ...h.env, BATCHER_CRASH_POINT: "after-copy" }))).toBeNull();
 * ```
 */
export async function exitOf(service: ServiceProcess): Promise<number | null> {
  const deadline = Date.now() + 90_000;
  while (isAlive(service.pid)) {
    if (Date.now() > deadline) throw new Error(`the batcher never reached its crash point:\n${service.output().slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return service.stop();
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Waits until the ledger covers every record of the harness's topic and nothing committed is left to load.
 *
 * @example
 * ```ts
 * await waitIdle(h, kafka.admin);
 * ```
 */
export async function waitIdle(h: BatcherHarness, admin: KafkaFixture["admin"]): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const offsets = await admin.topicOffsets(h.sqlTopic);
    const ends = (await h.ledger.ranges.ends([h.sqlTopic])).get(h.sqlTopic) ?? new Map<number, bigint>();
    const covered = offsets.every((o) => o.high === "0" || ends.get(o.partition) === BigInt(o.high) - 1n);
    const backlog = await h.ledger.operators.backlog();
    if (covered && [...backlog.values()].every((b) => b.pending === 0)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error("the batcher did not finish in time");
}

export { topicsFor };
