import { z } from "zod";
import { eventLimitsEnv, kafkaClientEnv, kafkaEnv, logEnv, parseEnv, registryEnv, s3Env } from "@schematizer/config";
import { KAFKA_CLIENTS } from "@schematizer/kafka";

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);
const DAY_MS = 24 * 60 * 60 * 1000;

/** franz's configuration, from the environment; documented in the README. */
export const franzConfigSchema = z.object({
  FRANZ_PORT: z.coerce.number().int().min(0).max(65535).default(8083),
  FRANZ_HOST: z.string().default("0.0.0.0"),
  /** Bearer token for the admin API and for writes to the registry API. Required: there is no safe default. */
  FRANZ_ADMIN_TOKEN: z.string().min(16, "FRANZ_ADMIN_TOKEN must be at least 16 characters"),
  ...kafkaEnv,
  // kafkajs by default: franz only administers topics.
  ...kafkaClientEnv(KAFKA_CLIENTS, "kafkajs"),
  ...registryEnv,
  /** Partitions a new app's topics start with. */
  FRANZ_RAW_PARTITIONS: positiveInt(3),
  FRANZ_SQL_PARTITIONS: positiveInt(3),
  FRANZ_DLQ_PARTITIONS: positiveInt(1),
  /** Replicas of every topic: 3 on a production cluster, 1 on a single local broker. */
  FRANZ_REPLICATION_FACTOR: positiveInt(1),
  FRANZ_RAW_RETENTION_MS: positiveInt(7 * DAY_MS),
  FRANZ_SQL_RETENTION_MS: positiveInt(7 * DAY_MS),
  FRANZ_DLQ_RETENTION_MS: positiveInt(30 * DAY_MS),
  /**
   * The event limits (set them as for event-sink and the sqlizer): EVENT_MAX_BYTES sizes every
   * topic's max.message.bytes; `replay --entype/--evname` parses events with both, as the sqlizer does.
   */
  ...eventLimitsEnv,
  /** The bucket the batcher writes the raw archive to (set them as for the batcher): `replay` reads it. */
  ...s3Env,
  /** The batcher's ledger in the control database (DATABASE_URL): `apps describe` counts its set-aside rows, parked files and archive; `replay` lists the archive's files. */
  BATCHER_SCHEMA: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/).default("batcher"),
  /** Consumer groups whose lag `describe` reports. */
  FRANZ_SQLIZER_GROUP: z.string().default("sqlizer"),
  FRANZ_BATCHER_GROUP: z.string().default("batcher"),
  /** How often partition end offsets are sampled; rates are measured over this window. */
  FRANZ_AUTOSCALE_INTERVAL_MS: positiveInt(30_000),
  /** A partition producing more messages per second than this is hot. */
  FRANZ_MAX_RATE_PER_PARTITION: positiveInt(5_000),
  FRANZ_MAX_PARTITIONS: positiveInt(64),
  /** After growing, partitions should run at this fraction of the threshold. */
  FRANZ_TARGET_UTILISATION: z.coerce.number().gt(0).max(1).default(0.5),
  /** Log and count decisions without adding partitions. */
  FRANZ_AUTOSCALE_DRY_RUN: z
    .enum(["true", "false"])
    .default("false")
    .transform((v) => v === "true"),
  ...logEnv,
});

export type FranzConfig = z.output<typeof franzConfigSchema>;

export function readFranzConfig(env: NodeJS.ProcessEnv = process.env): FranzConfig {
  return parseEnv(franzConfigSchema, env);
}
