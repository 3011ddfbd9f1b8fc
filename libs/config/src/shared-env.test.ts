import { describe, expect, it } from "vitest";
import { z } from "zod";
import { ConfigError, parseEnv } from "./parse-env.ts";
import { kafkaClientEnv, kafkaEnv, logEnv, registryEnv, s3Env, s3Settings } from "./shared-env.ts";

const schema = z.object({ ...kafkaEnv, ...kafkaClientEnv(["one", "two"], "two"), ...registryEnv, ...s3Env, ...logEnv });

describe("the shared variables", () => {
  it("default to the local stack, with the Kafka client the service names", () => {
    expect(parseEnv(schema, {})).toEqual({
      KAFKA_BROKERS: "127.0.0.1:9092",
      TOPIC_PREFIX: "",
      KAFKA_CLIENT: "two",
      DATABASE_URL: "postgres://postgres:postgres@127.0.0.1:54329/postgres",
      REGISTRY_SCHEMA: "registry",
      S3_REGION: "us-east-1",
      S3_BUCKET: "schematizer",
      LOG_LEVEL: "info",
    });
  });

  it("refuse a Kafka client or a log level that does not exist", () => {
    expect(() => parseEnv(schema, { KAFKA_CLIENT: "three", LOG_LEVEL: "loud" })).toThrow(ConfigError);
  });
});

describe("s3Settings", () => {
  it("passes on only the S3 variables given, so the SDK's own defaults (AWS, the instance's role) apply to the rest", () => {
    expect(s3Settings(parseEnv(schema, {}))).toEqual({ region: "us-east-1" });
    const local = parseEnv(schema, { S3_ENDPOINT: "http://127.0.0.1:9090", S3_REGION: "eu-west-1", S3_ACCESS_KEY_ID: "a", S3_SECRET_ACCESS_KEY: "b" });
    expect(s3Settings(local)).toEqual({ endpoint: "http://127.0.0.1:9090", region: "eu-west-1", accessKeyId: "a", secretAccessKey: "b" });
  });
});
