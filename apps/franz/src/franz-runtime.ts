import { createKafkaClient, type Admin, type KafkaClient } from "@schematizer/kafka";
import type { Logger } from "@schematizer/observability";
import { createPool } from "@schematizer/postgres";
import { openRegistry, type Registry } from "@schematizer/registry";
import type pg from "pg";
import type { FranzConfig } from "./config.ts";
import type { ControlDeps } from "./control.ts";

/** What both the server and the CLI connect to. */
export interface FranzRuntime {
  registry: Registry;
  /** The client, for what reads or writes topics (the dead-letter commands). */
  kafka: KafkaClient;
  admin: Admin;
  pool: pg.Pool;
  close(): Promise<void>;
}

export async function openFranzRuntime(config: FranzConfig, log?: Logger): Promise<FranzRuntime> {
  const pool = createPool({ connectionString: config.DATABASE_URL, max: 4, applicationName: "franz" });
  const registry = await openRegistry({ pool, schema: config.REGISTRY_SCHEMA, topicPrefix: config.TOPIC_PREFIX, createdBy: "franz" });
  const kafka = createKafkaClient(config.KAFKA_CLIENT, {
    brokers: config.KAFKA_BROKERS.split(","),
    clientId: "franz",
    ...(log ? { log: (level, message, extra) => log[level](extra, message) } : {}),
  });
  const admin = await kafka.admin();
  return {
    registry,
    kafka,
    admin,
    pool,
    async close() {
      await admin.close();
      await pool.end();
    },
  };
}

/**
 * What the dead-letter commands and `apps describe` read with: the runtime's Kafka and control
 * database, under the environment's topic prefix.
 *
 * @example
 * const control = createControl({ registry, admin, config, recovery: recoveryDeps(runtime, config) });
 */
export function recoveryDeps(runtime: FranzRuntime, config: FranzConfig): NonNullable<ControlDeps["recovery"]> {
  const dlq = { kafka: runtime.kafka, admin: runtime.admin, groupPrefix: config.TOPIC_PREFIX, topicPrefix: config.TOPIC_PREFIX, eventMaxBytes: config.EVENT_MAX_BYTES };
  return { dlq, pool: runtime.pool };
}
