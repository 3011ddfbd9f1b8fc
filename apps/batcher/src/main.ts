/**
 * Runs the batcher: reads the environment, opens the registry, the ledger, S3 and the warehouse,
 * serves /healthz, /readyz and /metrics, and stops cleanly on SIGTERM or SIGINT.
 */
import { createKafkaClient } from "@schematizer/kafka";
import { createLogger, createMetricsRegistry } from "@schematizer/observability";
import { createPool } from "@schematizer/postgres";
import { openRegistry } from "@schematizer/registry";
import { ensureBucket, s3Client, s3ObjectStore, type ObjectStore } from "@schematizer/s3";
import { createBatcher } from "./batcher.ts";
import { readBatcherConfig, type BatcherConfig } from "./config.ts";
import { crashAt } from "./crash-points.ts";
import { createLedger, migrateLedger } from "./ledger.ts";
import { buildOpsServer } from "./ops-server.ts";
import { ensureDatabase, postgresWarehouse, warehousePool } from "./postgres-warehouse.ts";
import { withRecentFiles } from "./recent-files.ts";
import { redshiftWarehouse } from "./redshift-warehouse.ts";
import type { CopyCredentials } from "./redshift-sql.ts";
import type { Warehouse } from "./warehouse.ts";

async function openWarehouse(config: BatcherConfig, store: ObjectStore): Promise<Warehouse> {
  const pool = warehousePool(config.warehouseUrl, config.BATCHER_LOAD_CONCURRENCY + 1);
  if (config.WAREHOUSE_DIALECT === "postgres") {
    if (config.WAREHOUSE_URL === undefined) await ensureDatabase(config.warehouseUrl);
    return postgresWarehouse({ pool, store, schemaPrefix: config.WAREHOUSE_SCHEMA_PREFIX, maxSetAsideRows: config.BATCHER_MAX_SET_ASIDE_ROWS });
  }
  const credentials: CopyCredentials =
    config.REDSHIFT_IAM_ROLE !== undefined
      ? { iamRole: config.REDSHIFT_IAM_ROLE }
      : {
          accessKeyId: config.REDSHIFT_COPY_ACCESS_KEY_ID as string,
          secretAccessKey: config.REDSHIFT_COPY_SECRET_ACCESS_KEY as string,
          ...(config.REDSHIFT_COPY_SESSION_TOKEN === undefined ? {} : { sessionToken: config.REDSHIFT_COPY_SESSION_TOKEN }),
        };
  return redshiftWarehouse({
    pool,
    store,
    credentials,
    schemaPrefix: config.WAREHOUSE_SCHEMA_PREFIX,
    maxSetAsideRows: config.BATCHER_MAX_SET_ASIDE_ROWS,
    ...(config.REDSHIFT_COPY_REGION === undefined ? {} : { region: config.REDSHIFT_COPY_REGION }),
  });
}

async function main(): Promise<void> {
  const config = readBatcherConfig();
  const log = createLogger("batcher", config.LOG_LEVEL);
  const metrics = createMetricsRegistry("batcher");

  const controlPool = createPool({ connectionString: config.DATABASE_URL, max: 6, applicationName: "schematizer-batcher" });
  const registry = await openRegistry({ pool: controlPool, schema: config.REGISTRY_SCHEMA, topicPrefix: config.TOPIC_PREFIX });
  await migrateLedger(controlPool, config.BATCHER_SCHEMA);
  const ledger = createLedger(controlPool, config.BATCHER_SCHEMA);

  const s3 = s3Client({
    ...(config.S3_ENDPOINT === undefined ? {} : { endpoint: config.S3_ENDPOINT }),
    region: config.S3_REGION,
    ...(config.S3_ACCESS_KEY_ID === undefined ? {} : { accessKeyId: config.S3_ACCESS_KEY_ID }),
    ...(config.S3_SECRET_ACCESS_KEY === undefined ? {} : { secretAccessKey: config.S3_SECRET_ACCESS_KEY }),
  });
  await ensureBucket(s3, config.S3_BUCKET);
  const store = withRecentFiles(s3ObjectStore(s3, config.S3_BUCKET), config.BATCHER_RECENT_FILES_BYTES);
  const warehouse = await openWarehouse(config, store);

  const kafka = createKafkaClient(config.KAFKA_CLIENT, {
    brokers: config.KAFKA_BROKERS.split(",").map((b) => b.trim()),
    clientId: "batcher",
    log: (level, message, extra) => log[level === "debug" ? "debug" : level]({ kafka: extra }, message),
  });

  const batcher = createBatcher({
    kafka,
    ledger,
    controlUrl: config.DATABASE_URL,
    store,
    versions: { versionById: (id) => registry.schemaById(id) },
    warehouse,
    groupId: config.BATCHER_GROUP_ID,
    topicPrefix: config.TOPIC_PREFIX,
    fileLimits: config.fileLimits,
    coalesce: config.coalesce,
    gzipLevel: config.BATCHER_GZIP_LEVEL,
    fetchMaxBytes: config.BATCHER_FETCH_MAX_BYTES,
    topicRefreshMs: config.BATCHER_TOPIC_REFRESH_MS,
    sessionTimeoutMs: config.BATCHER_SESSION_TIMEOUT_MS,
    consumers: config.BATCHER_CONSUMERS,
    loadConcurrency: config.BATCHER_LOAD_CONCURRENCY,
    loadPollMs: config.BATCHER_LOAD_POLL_MS,
    backoff: { baseMs: config.BATCHER_RETRY_BASE_MS, maxMs: config.BATCHER_RETRY_MAX_MS },
    maxLoadFailures: config.BATCHER_MAX_LOAD_FAILURES,
    metrics,
    log,
    crash: crashAt(config.BATCHER_CRASH_POINT, config.BATCHER_CRASH_AFTER),
  });

  const server = buildOpsServer({ metrics, notReadyReason: () => batcher.notReadyReason() });
  await server.listen({ port: config.BATCHER_PORT, host: config.BATCHER_HOST });
  log.info({ port: config.BATCHER_PORT }, "batcher starting");
  await batcher.start();
  log.info({ port: config.BATCHER_PORT, warehouse: config.WAREHOUSE_DIALECT, crashPoint: config.BATCHER_CRASH_POINT }, "batcher started");

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, "stopping: finishing the batch and loads in hand");
    try {
      await batcher.stop();
      await server.close();
      await warehouse.close();
      await controlPool.end();
      s3.destroy();
      log.info("stopped");
      process.exit(0);
    } catch (error) {
      log.error({ err: error }, "unclean stop");
      process.exit(1);
    }
  };
  process.on("SIGTERM", () => void stop("SIGTERM"));
  process.on("SIGINT", () => void stop("SIGINT"));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
