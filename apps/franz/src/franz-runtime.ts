import { createKafkaClient, type Admin } from "@schematizer/kafka";
import type { Logger } from "@schematizer/observability";
import { createPool } from "@schematizer/postgres";
import { openRegistry, type Registry } from "@schematizer/registry";
import type pg from "pg";
import type { FranzConfig } from "./config.ts";

/** What both the server and the CLI connect to. */
export interface FranzRuntime {
  registry: Registry;
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
    admin,
    pool,
    async close() {
      await admin.close();
      await pool.end();
    },
  };
}
