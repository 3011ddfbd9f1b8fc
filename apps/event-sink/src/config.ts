import { z } from "zod";
import { eventLimitsEnv, kafkaClientEnv, kafkaEnv, logEnv, parseEnv, registryEnv } from "@schematizer/config";
import { KAFKA_CLIENTS } from "@schematizer/kafka";

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

/** event-sink's configuration, from the environment; documented in the README. */
export const sinkConfigSchema = z.object({
  /** Port the HTTP server listens on. */
  SINK_PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  SINK_HOST: z.string().default("0.0.0.0"),
  ...kafkaEnv,
  // platformatic by default: produces 2.3× faster than kafkajs at less than half the CPU (npm run bench:kafka).
  ...kafkaClientEnv(KAFKA_CLIENTS, "platformatic"),
  // The registry, where apps and their write keys live.
  ...registryEnv,
  /** Largest request body after decompression, in bytes. */
  SINK_MAX_BODY_BYTES: positiveInt(5 * 1024 * 1024),
  /** Most events in one request (413 beyond): bounds the work and memory one request can cost, whatever its events' size. */
  SINK_MAX_EVENTS: positiveInt(100_000),
  /** Largest event and deepest body nesting: the limits the sqlizer applies too, read from the same variables. */
  ...eventLimitsEnv,
  /** Time for Kafka to acknowledge a request's events before answering 503. */
  SINK_PRODUCE_TIMEOUT_MS: positiveInt(10_000),
  /** How long a write-key verdict is cached; a rotated key stops working within this time. */
  SINK_AUTH_CACHE_MS: positiveInt(10_000),
  /** Compression of produced batches. */
  SINK_COMPRESSION: z.enum(["none", "gzip"]).default("none"),
  ...logEnv,
});

export type SinkConfig = z.output<typeof sinkConfigSchema>;

export function readSinkConfig(env: NodeJS.ProcessEnv = process.env): SinkConfig {
  return parseEnv(sinkConfigSchema, env);
}
