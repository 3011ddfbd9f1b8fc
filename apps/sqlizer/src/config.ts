import { z } from "zod";
import { eventLimits, eventLimitsEnv, kafkaClientEnv, kafkaEnv, logEnv, maxRowBytes, parseEnv, registryEnv } from "@schematizer/config";
import { KAFKA_CLIENTS } from "@schematizer/kafka";
import type { Limits } from "@schematizer/schema";

/** sqlizer's configuration, from the environment; documented in the README. */
export const sqlizerConfigSchema = z.object({
  /** Port of the operational HTTP server (/healthz, /readyz, /metrics). */
  SQLIZER_PORT: z.coerce.number().int().min(0).max(65535).default(8081),
  SQLIZER_HOST: z.string().default("0.0.0.0"),
  /** The consumer group every replica joins. */
  SQLIZER_GROUP_ID: z.string().default("sqlizer"),
  /** How often to look for new apps' raw topics. */
  SQLIZER_TOPIC_REFRESH_MS: z.coerce.number().int().positive().default(5_000),
  /** A replica silent this long (killed, partitioned) loses its partitions to the others. */
  SQLIZER_SESSION_TIMEOUT_MS: z.coerce.number().int().min(6_000).default(10_000),
  /** Recorded on every schema version this replica writes (default: host and pid). */
  SQLIZER_INSTANCE: z.string().optional(),
  ...kafkaEnv,
  // platformatic by default: 1.5× kafkajs's sqlizer throughput (`npm run bench:sqlizer`).
  ...kafkaClientEnv(KAFKA_CLIENTS, "platformatic"),
  ...registryEnv,
  /** Largest event and deepest body nesting: event-sink's limits, read from the same variables. */
  ...eventLimitsEnv,
  ...logEnv,
});

export type SqlizerConfig = z.output<typeof sqlizerConfigSchema> & {
  /** The event limits event-sink applies too (EVENT_MAX_BYTES, EVENT_MAX_DEPTH). */
  limits: Limits;
  /** The largest typed row sql.<app> takes, as franz sizes it from EVENT_MAX_BYTES. */
  maxRowBytes: number;
};

export function readSqlizerConfig(env: NodeJS.ProcessEnv = process.env): SqlizerConfig {
  const config = parseEnv(sqlizerConfigSchema, env);
  return { ...config, limits: eventLimits(config), maxRowBytes: maxRowBytes(config.EVENT_MAX_BYTES) };
}
