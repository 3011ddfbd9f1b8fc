/**
 * The variables several services read, declared once as zod fields to spread into a service's
 * schema (`z.object({ ...kafkaEnv, ...registryEnv, … })`), so one name never has two defaults or
 * two meanings. The README's "Shared by the services and the stack" table documents them.
 */
import { z } from "zod";

/** Where Kafka is, and which topics are this environment's. */
export const kafkaEnv = {
  /** Kafka brokers, `host:port,…`. */
  KAFKA_BROKERS: z.string().default("127.0.0.1:9092"),
  /** Prefix of every topic name, so environments can share a cluster. */
  TOPIC_PREFIX: z.string().default(""),
};

/**
 * `KAFKA_CLIENT`: which implementation of the Kafka client a service runs on. The names and each
 * service's default are the service's to give (`libs/kafka`'s `KAFKA_CLIENTS`), since the reason for
 * a default is a measurement of that service.
 *
 * @example
 * z.object({ ...kafkaClientEnv(KAFKA_CLIENTS, "platformatic") });
 */
export function kafkaClientEnv<const K extends readonly [string, ...string[]]>(clients: K, fallback: K[number]) {
  return {
    /** Kafka client implementation (see the README's "Kafka clients"). */
    KAFKA_CLIENT: z.enum(clients).default(fallback),
  };
}

/** The registry's Postgres: apps and their write keys, table schemas, and the batcher's ledger beside them. */
export const registryEnv = {
  /** The control database: the registry's Postgres, which also holds the batcher's ledger. */
  DATABASE_URL: z.string().url().default("postgres://postgres:postgres@127.0.0.1:54329/postgres"),
  /** Postgres schema holding the registry's tables. */
  REGISTRY_SCHEMA: z.string().default("registry"),
};

/** The bucket batch files go to. */
export const s3Env = {
  /** S3-protocol endpoint; unset for AWS S3. */
  S3_ENDPOINT: z.string().url().optional(),
  S3_REGION: z.string().default("us-east-1"),
  /** Credentials; unset on AWS to use the instance's role. */
  S3_ACCESS_KEY_ID: z.string().optional(),
  S3_SECRET_ACCESS_KEY: z.string().optional(),
  S3_BUCKET: z.string().default("schematizer"),
};

export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace"] as const;

export const logEnv = {
  /** Lowest level logged; logs are JSON lines on stdout. */
  LOG_LEVEL: z.enum(LOG_LEVELS).default("info"),
};

/** The S3 client's settings from the S3 variables: only those given, so the SDK's own defaults apply to the rest. */
export interface S3Settings {
  endpoint?: string;
  region: string;
  accessKeyId?: string;
  secretAccessKey?: string;
}

/**
 * The S3 client's settings read from a parsed environment.
 *
 * @example
 * s3Client(s3Settings(config)); // config = parseEnv(z.object({ ...s3Env }))
 */
export function s3Settings(env: { S3_ENDPOINT?: string | undefined; S3_REGION: string; S3_ACCESS_KEY_ID?: string | undefined; S3_SECRET_ACCESS_KEY?: string | undefined }): S3Settings {
  return {
    ...(env.S3_ENDPOINT === undefined ? {} : { endpoint: env.S3_ENDPOINT }),
    region: env.S3_REGION,
    ...(env.S3_ACCESS_KEY_ID === undefined ? {} : { accessKeyId: env.S3_ACCESS_KEY_ID }),
    ...(env.S3_SECRET_ACCESS_KEY === undefined ? {} : { secretAccessKey: env.S3_SECRET_ACCESS_KEY }),
  };
}
