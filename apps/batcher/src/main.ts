/**
 * Runs the batcher and the raw archive: reads the environment, opens the registry, the ledger, S3
 * and the warehouse, serves /healthz, /readyz and /metrics, and stops cleanly on SIGTERM or SIGINT.
 */
import { createKafkaClient } from "@schematizer/kafka";
import { s3Settings } from "@schematizer/config";
import { createLogger, createMetricsRegistry, exitOnStartFailure, onShutdown } from "@schematizer/observability";
import { createPool } from "@schematizer/postgres";
import { openRegistry } from "@schematizer/registry";
import { ensureBucket, s3Client, s3ObjectStore, type ObjectStore } from "@schematizer/s3";
import { createArchiver, type Archiver } from "./archive/archiver.ts";
import { createBatcher } from "./batcher.ts";
import { readBatcherConfig, type BatcherConfig } from "./config.ts";
import { crashAt } from "./crash-points.ts";
import { createLedger, migrateLedger } from "./ledger/ledger.ts";
import { buildOpsServer } from "./operations/ops-server.ts";
import { ensureDatabase, postgresWarehouse, warehousePool } from "@schematizer/warehouse";
import { withRecentFiles } from "./staging/recent-files.ts";
import { redshiftWarehouse } from "@schematizer/warehouse";
import type { CopyCredentials } from "@schematizer/warehouse";
import type { Warehouse } from "@schematizer/warehouse";

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

const config = readBatcherConfig();
const log = createLogger("batcher", config.LOG_LEVEL);

async function main(): Promise<void> {
  const metrics = createMetricsRegistry("batcher");

  const controlPool = createPool({ connectionString: config.DATABASE_URL, max: 6, applicationName: "schematizer-batcher" });
  const registry = await openRegistry({ pool: controlPool, schema: config.REGISTRY_SCHEMA, topicPrefix: config.TOPIC_PREFIX });
  await migrateLedger(controlPool, config.BATCHER_SCHEMA);
  const ledger = createLedger(controlPool, config.BATCHER_SCHEMA);

  const s3 = s3Client(s3Settings(config));
  await ensureBucket(s3, config.S3_BUCKET);
  const bucket = s3ObjectStore(s3, config.S3_BUCKET);
  const store = withRecentFiles(bucket, config.BATCHER_RECENT_FILES_BYTES);
  const warehouse = await openWarehouse(config, store);

  const kafka = createKafkaClient(config.KAFKA_CLIENT, {
    brokers: config.KAFKA_BROKERS.split(",").map((b) => b.trim()),
    clientId: "batcher",
    log: (level, message, extra) => log[level === "debug" ? "debug" : level]({ kafka: extra }, message),
  });

  const crash = crashAt(config.BATCHER_CRASH_POINT, config.BATCHER_CRASH_AFTER);
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
    crash,
  });
  const archiver: Archiver | undefined =
    config.BATCHER_ARCHIVE === "off"
      ? undefined
      : createArchiver({
          kafka,
          ranges: ledger.ranges,
          archive: ledger.archive,
          store: bucket,
          groupId: config.BATCHER_ARCHIVE_GROUP_ID,
          topicPrefix: config.TOPIC_PREFIX,
          gzipLevel: config.BATCHER_ARCHIVE_GZIP_LEVEL,
          waitMs: config.BATCHER_ARCHIVE_WAIT_MS,
          minBytes: config.BATCHER_ARCHIVE_MIN_BYTES,
          fetchMaxBytes: config.BATCHER_ARCHIVE_FETCH_MAX_BYTES,
          topicRefreshMs: config.BATCHER_TOPIC_REFRESH_MS,
          sessionTimeoutMs: config.BATCHER_SESSION_TIMEOUT_MS,
          metrics,
          log,
          crash,
        });

  const server = buildOpsServer({ metrics, notReadyReason: () => batcher.notReadyReason() });
  await server.listen({ port: config.BATCHER_PORT, host: config.BATCHER_HOST });
  log.info({ port: config.BATCHER_PORT }, "batcher starting");
  await batcher.start();
  await archiver?.start();
  log.info({ port: config.BATCHER_PORT, warehouse: config.WAREHOUSE_DIALECT, archive: config.BATCHER_ARCHIVE, crashPoint: config.BATCHER_CRASH_POINT }, "batcher started");

  // Finishes the fetched records and the loads in hand first, within the pod's grace period (45 s);
  // whatever a cut-short stop leaves is taken up again exactly once by the next run.
  onShutdown(
    log,
    async () => {
      await Promise.all([batcher.stop(), archiver?.stop()]);
      await server.close();
      await warehouse.close();
      await controlPool.end();
      s3.destroy();
    },
    40_000,
  );
}

main().catch(exitOnStartFailure(log));
