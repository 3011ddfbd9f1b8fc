import { eventLimits } from "@schematizer/config";
import { topicsFor } from "@schematizer/contracts";
import { createKafkaClient, watchKafka } from "@schematizer/kafka";
import { createLogger, createMetricsRegistry, exitOnStartFailure, onShutdown } from "@schematizer/observability";
import { createPool } from "@schematizer/postgres";
import { openAppKeyStore } from "@schematizer/registry";
import { buildApp } from "./app.ts";
import { cachedAuthenticate, cachedLookupKey } from "./auth-cache.ts";
import { readSinkConfig } from "./config.ts";

const config = readSinkConfig();
const log = createLogger("event-sink", config.LOG_LEVEL);

async function main(): Promise<void> {
  const kafka = createKafkaClient(config.KAFKA_CLIENT, {
    brokers: config.KAFKA_BROKERS.split(","),
    clientId: "event-sink",
    log: (level, message, extra) => log[level](extra, message),
    // Fail fast into a 503 the client retries, rather than hold requests through long retries.
    retries: 2,
    requestTimeoutMs: 5_000,
  });
  const pool = createPool({ connectionString: config.DATABASE_URL, max: 4, applicationName: "event-sink" });
  // Only the key checks: the sink reads apps and never migrates or writes the registry.
  const keys = openAppKeyStore({ pool, schema: config.REGISTRY_SCHEMA });
  const producer = await kafka.producer({ compression: config.SINK_COMPRESSION });
  const health = await watchKafka(kafka);
  let stopping = false;

  const app = buildApp({
    producer,
    authenticate: cachedAuthenticate(keys.authenticate, { ttlMs: config.SINK_AUTH_CACHE_MS }),
    lookupKey: cachedLookupKey(keys.authenticateKey, { ttlMs: config.SINK_AUTH_CACHE_MS }),
    topics: (app) => topicsFor(app, config.TOPIC_PREFIX),
    maxBodyBytes: config.SINK_MAX_BODY_BYTES,
    maxEvents: config.SINK_MAX_EVENTS,
    limits: eventLimits(config),
    produceTimeoutMs: config.SINK_PRODUCE_TIMEOUT_MS,
    notReadyReason: () => (stopping ? "shutting down" : health.notReadyReason()),
    metrics: createMetricsRegistry("event-sink"),
    log,
  });
  await app.listen({ port: config.SINK_PORT, host: config.SINK_HOST });
  log.info({ port: config.SINK_PORT }, "event-sink listening");

  onShutdown(log, async () => {
    stopping = true;
    // close() stops accepting connections and waits for in-flight requests to be answered.
    await app.close();
    await producer.close();
    await health.stop();
    await pool.end();
  });
}

main().catch(exitOnStartFailure(log));
