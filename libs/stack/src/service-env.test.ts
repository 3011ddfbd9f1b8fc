import { describe, expect, it } from "vitest";
import { serviceEnv, sharedServiceEnv } from "./service-env.ts";
import { readStackEnv, resolveEndpoints } from "./stack-config.ts";

const endpoints = resolveEndpoints(readStackEnv({}));
const s3 = {
  S3_ENDPOINT: "http://127.0.0.1:9090",
  S3_REGION: endpoints.s3.region,
  S3_ACCESS_KEY_ID: endpoints.s3.accessKeyId,
  S3_SECRET_ACCESS_KEY: endpoints.s3.secretAccessKey,
};

describe("serviceEnv", () => {
  it("in the stack itself, says only where Kafka, the registry and the batcher's bucket are: each service's defaults do the rest", () => {
    const shared = { KAFKA_BROKERS: "127.0.0.1:9092", DATABASE_URL: "postgres://postgres:postgres@127.0.0.1:54329/postgres" };
    expect(sharedServiceEnv(endpoints)).toEqual(shared);
    for (const service of ["event-sink", "sqlizer", "franz"] as const) expect(serviceEnv(service, endpoints)).toEqual(shared);
    expect(serviceEnv("batcher", endpoints)).toEqual({ ...shared, ...s3, S3_BUCKET: endpoints.s3.bucket });
  });

  it("in a corner, puts the consumer groups under its topic prefix and the batcher's ledger and warehouse schemas in its database", () => {
    const scope = { brokers: ["127.0.0.1:19092"], databaseUrl: "postgres://t@127.0.0.1:5432/t", schema: "t_1", topicPrefix: "t_1.", bucket: "t-1", kafkaClient: "kafkajs", logLevel: "warn" };
    const shared = { KAFKA_BROKERS: "127.0.0.1:19092", DATABASE_URL: scope.databaseUrl, REGISTRY_SCHEMA: "t_1", TOPIC_PREFIX: "t_1.", KAFKA_CLIENT: "kafkajs", LOG_LEVEL: "warn" };
    expect(serviceEnv("event-sink", endpoints, scope)).toEqual(shared);
    expect(serviceEnv("franz", endpoints, scope)).toEqual(shared);
    expect(serviceEnv("sqlizer", endpoints, scope)).toEqual({ ...shared, SQLIZER_GROUP_ID: "t_1.sqlizer" });
    expect(serviceEnv("batcher", endpoints, scope)).toEqual({
      ...shared,
      ...s3,
      S3_BUCKET: "t-1",
      BATCHER_GROUP_ID: "t_1.batcher",
      BATCHER_ARCHIVE_GROUP_ID: "t_1.archiver",
      BATCHER_SCHEMA: "t_1",
      WAREHOUSE_URL: scope.databaseUrl,
      WAREHOUSE_SCHEMA_PREFIX: "t_1_",
    });
  });
});
