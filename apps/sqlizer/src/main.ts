import os from "node:os";
import Fastify from "fastify";
import { createKafkaClient, watchKafka } from "@schematizer/kafka";
import { createLogger, createMetricsRegistry, exitOnStartFailure, onShutdown, opsRoutes } from "@schematizer/observability";
import { createPool } from "@schematizer/postgres";
import { openRegistry } from "@schematizer/registry";
import { readSqlizerConfig } from "./config.ts";
import { createSqlizer } from "./sqlizer.ts";

const config = readSqlizerConfig();
const log = createLogger("sqlizer", config.LOG_LEVEL);

async function main(): Promise<void> {
  const instance = config.SQLIZER_INSTANCE ?? `${os.hostname()}:${process.pid}`;
  const kafka = createKafkaClient(config.KAFKA_CLIENT, {
    brokers: config.KAFKA_BROKERS.split(","),
    clientId: `sqlizer-${instance}`,
    log: (level, message, extra) => log[level](extra, message),
  });
  const pool = createPool({ connectionString: config.DATABASE_URL, max: 8, applicationName: "sqlizer" });
  const registry = await openRegistry({ pool, schema: config.REGISTRY_SCHEMA, topicPrefix: config.TOPIC_PREFIX, createdBy: `sqlizer ${instance}` });
  const metrics = createMetricsRegistry("sqlizer");
  const health = await watchKafka(kafka);
  const sqlizer = createSqlizer({
    kafka,
    source: registry,
    registryAnswers: () => pool.query("select 1").then(() => true),
    groupId: config.SQLIZER_GROUP_ID,
    topicPrefix: config.TOPIC_PREFIX,
    metrics,
    log,
    topicRefreshMs: config.SQLIZER_TOPIC_REFRESH_MS,
    sessionTimeoutMs: config.SQLIZER_SESSION_TIMEOUT_MS,
    // The limits event-sink applies, and the row size franz gives sql.<app>: all from EVENT_MAX_BYTES.
    limits: config.limits,
    maxRowBytes: config.maxRowBytes,
  });
  let stopping = false;
  const http = Fastify({ logger: false });
  opsRoutes(http, { metrics, notReadyReason: () => (stopping ? "shutting down" : (health.notReadyReason() ?? sqlizer.notReadyReason())) });
  await http.listen({ port: config.SQLIZER_PORT, host: config.SQLIZER_HOST });
  await sqlizer.start();
  log.info({ port: config.SQLIZER_PORT, group: config.SQLIZER_GROUP_ID, instance }, "sqlizer running");

  onShutdown(log, async () => {
    stopping = true;
    await sqlizer.stop();
    await health.stop();
    await http.close();
    await pool.end();
  });
}

main().catch(exitOnStartFailure(log));
