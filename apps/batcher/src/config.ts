import { kafkaClientEnv, kafkaEnv, logEnv, parseEnv, registryEnv, s3Env } from "@schematizer/config";
import { withDatabase } from "@schematizer/postgres";
import { z } from "zod";
import { KAFKA_CLIENTS } from "@schematizer/kafka";
import type { FileLimits } from "./staging/range-buffer.ts";
import type { CoalesceLimits } from "./loading/load-plan.ts";
import { CRASH_POINTS } from "./crash-points.ts";

const positiveInt = z.coerce.number().int().positive();

/** batcher's configuration, from the environment; every variable is documented in the README. */
export const batcherConfigSchema = z.object({
  /** Port of the operational HTTP server (/healthz, /readyz, /metrics). */
  BATCHER_PORT: z.coerce.number().int().min(0).max(65535).default(8082),
  BATCHER_HOST: z.string().default("0.0.0.0"),
  /** The consumer group every replica joins. */
  BATCHER_GROUP_ID: z.string().default("batcher"),
  /** A replica silent this long (killed, partitioned) loses its partitions to the others. */
  BATCHER_SESSION_TIMEOUT_MS: z.coerce.number().int().min(6_000).default(10_000),
  /** Members of the consumer group in each process: more overlap one partition's upload with another's fetch. */
  BATCHER_CONSUMERS: positiveInt.default(2),
  /** How often to look for new apps' sql topics. */
  BATCHER_TOPIC_REFRESH_MS: positiveInt.default(5_000),
  /** Upper bound on bytes fetched per partition per request: with the ledger-first commit rule, one fetch becomes at most one range of files. */
  BATCHER_FETCH_MAX_BYTES: positiveInt.default(4 * 1024 * 1024),
  /** Rows per file before a range is cut (default by warehouse: 100,000 Postgres, 1,000,000 Redshift). */
  BATCHER_MAX_ROWS: positiveInt.optional(),
  /** Uncompressed CSV bytes per file before a range is cut (default 64 MiB Postgres, 256 MiB Redshift). */
  BATCHER_MAX_BYTES: positiveInt.optional(),
  /** How long the loader may hold pending files of a table to load them in one go (default 0 Postgres, 60 s Redshift). */
  BATCHER_MAX_AGE_MS: z.coerce.number().int().min(0).optional(),
  /** Rows that make a coalesced load worth running before BATCHER_MAX_AGE_MS (default 1 Postgres, 500,000 Redshift). */
  BATCHER_LOAD_MIN_ROWS: positiveInt.optional(),
  /** Most files in one load (one COPY manifest on Redshift; one transaction on Postgres). */
  BATCHER_LOAD_MAX_FILES: positiveInt.default(64),
  /** Tables loaded at once by one replica. */
  BATCHER_LOAD_CONCURRENCY: positiveInt.default(4),
  /** How often the loader looks for work when no notification arrives. */
  BATCHER_LOAD_POLL_MS: positiveInt.default(1_000),
  /** Failures counted against a batch (those while the warehouse, the bucket and the control database answer a probe) before it is parked. */
  BATCHER_MAX_LOAD_FAILURES: positiveInt.default(10),
  /** Rows of one file the warehouse may refuse and the loader set aside; beyond, the batch is parked (Redshift: COPY's MAXERROR, at most 100,000). */
  BATCHER_MAX_SET_ASIDE_ROWS: z.coerce.number().int().min(0).max(100_000).default(1_000),
  /** Backoff of failed loads: first delay and cap (full jitter). */
  BATCHER_RETRY_BASE_MS: positiveInt.default(1_000),
  BATCHER_RETRY_MAX_MS: positiveInt.default(5 * 60_000),
  /** Memory for batch files this replica uploaded and has not loaded yet, so its loader need not download them (0: always download). */
  BATCHER_RECENT_FILES_BYTES: z.coerce.number().int().min(0).default(64 * 1024 * 1024),
  /** gzip level of batch files (1 fastest … 9 smallest). */
  BATCHER_GZIP_LEVEL: z.coerce.number().int().min(1).max(9).default(1),
  /** The raw archive: every event of raw.<app> kept in the bucket under raw/<app>/ (off: not written by this replica). */
  BATCHER_ARCHIVE: z.enum(["on", "off"]).default("on"),
  /** The consumer group of the archive (over raw.*), apart from the sqlizers' so neither waits for the other. */
  BATCHER_ARCHIVE_GROUP_ID: z.string().default("archiver"),
  /** How long a fetch of raw records waits to gather BATCHER_ARCHIVE_MIN_BYTES: fewer, larger files on quiet topics, at most this much later. */
  BATCHER_ARCHIVE_WAIT_MS: z.coerce.number().int().min(100).max(25_000).default(10_000),
  BATCHER_ARCHIVE_MIN_BYTES: positiveInt.default(1024 * 1024),
  /** Upper bound on raw bytes fetched per partition per request: one fetch becomes at most one range of files. */
  BATCHER_ARCHIVE_FETCH_MAX_BYTES: positiveInt.default(16 * 1024 * 1024),
  /** gzip level of archive files (1 fastest … 9 smallest): they are kept for good. */
  BATCHER_ARCHIVE_GZIP_LEVEL: z.coerce.number().int().min(1).max(9).default(6),
  /** The batcher's own schema in the control database (ledger tables). */
  BATCHER_SCHEMA: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/).default("batcher"),
  /** Testing only: SIGKILL the process at this point (crash-points.ts; before-warehouse-commit is inside the load's warehouse transaction, archive-* are the raw archive's). */
  BATCHER_CRASH_POINT: z.enum(CRASH_POINTS).optional(),
  /** Testing only: crash at the Nth time the crash point is reached (default 1). */
  BATCHER_CRASH_AFTER: positiveInt.default(1),
  ...kafkaEnv,
  // kafkajs by default: the batcher spends its time on files and loads, and measured no faster on platformatic (`npm run bench:batcher`).
  ...kafkaClientEnv(KAFKA_CLIENTS, "kafkajs"),
  // The control database: the registry's, which also holds the batcher's ledger (BATCHER_SCHEMA).
  ...registryEnv,
  ...s3Env,
  /** Which warehouse the tables are loaded into. */
  WAREHOUSE_DIALECT: z.enum(["postgres", "redshift"]).default("postgres"),
  /** The warehouse (default: a `warehouse` database on the control Postgres, created if missing). */
  WAREHOUSE_URL: z.string().url().optional(),
  /** Prepended to each app's warehouse schema name (isolates environments sharing a warehouse). */
  WAREHOUSE_SCHEMA_PREFIX: z.string().regex(/^[a-z0-9_]*$/).default(""),
  /** Redshift COPY credentials: an IAM role ARN, or access keys. */
  REDSHIFT_IAM_ROLE: z.string().optional(),
  REDSHIFT_COPY_ACCESS_KEY_ID: z.string().optional(),
  REDSHIFT_COPY_SECRET_ACCESS_KEY: z.string().optional(),
  REDSHIFT_COPY_SESSION_TOKEN: z.string().optional(),
  /** Region of the bucket when it differs from the cluster's. */
  REDSHIFT_COPY_REGION: z.string().optional(),
  ...logEnv,
}).superRefine((env, ctx) => {
  if (env.WAREHOUSE_DIALECT === "redshift") {
    if (env.WAREHOUSE_URL === undefined) ctx.addIssue({ code: "custom", path: ["WAREHOUSE_URL"], message: "required with WAREHOUSE_DIALECT=redshift" });
    const keys = env.REDSHIFT_COPY_ACCESS_KEY_ID !== undefined && env.REDSHIFT_COPY_SECRET_ACCESS_KEY !== undefined;
    if (env.REDSHIFT_IAM_ROLE === undefined && !keys) {
      ctx.addIssue({ code: "custom", path: ["REDSHIFT_IAM_ROLE"], message: "Redshift COPY needs REDSHIFT_IAM_ROLE or REDSHIFT_COPY_ACCESS_KEY_ID and REDSHIFT_COPY_SECRET_ACCESS_KEY" });
    }
  }
});

export type BatcherEnv = z.output<typeof batcherConfigSchema>;

/** The environment with the warehouse-dependent defaults filled in. */
export interface BatcherConfig extends BatcherEnv {
  readonly warehouseUrl: string;
  readonly fileLimits: FileLimits;
  readonly coalesce: CoalesceLimits;
}

/**
 * Reads and checks the environment once, at start; a bad value fails with every problem listed.
 *
 * @example
 * ```ts
 * const config = readBatcherConfig(); // config.fileLimits.maxRows === 100_000 on Postgres
 * ```
 */
export function readBatcherConfig(env: NodeJS.ProcessEnv = process.env): BatcherConfig {
  const parsed = parseEnv(batcherConfigSchema, env);
  const redshift = parsed.WAREHOUSE_DIALECT === "redshift";
  return {
    ...parsed,
    warehouseUrl: parsed.WAREHOUSE_URL ?? withDatabase(parsed.DATABASE_URL, "warehouse"),
    fileLimits: {
      maxRows: parsed.BATCHER_MAX_ROWS ?? (redshift ? 1_000_000 : 100_000),
      maxBytes: parsed.BATCHER_MAX_BYTES ?? (redshift ? 256 : 64) * 1024 * 1024,
    },
    coalesce: {
      maxAgeMs: parsed.BATCHER_MAX_AGE_MS ?? (redshift ? 60_000 : 0),
      minRows: parsed.BATCHER_LOAD_MIN_ROWS ?? (redshift ? 500_000 : 1),
      maxFiles: parsed.BATCHER_LOAD_MAX_FILES,
      maxRows: (parsed.BATCHER_MAX_ROWS ?? (redshift ? 1_000_000 : 100_000)) * (redshift ? 8 : 4),
    },
  };
}
