import { fileURLToPath } from "node:url";
import path from "node:path";
import { z } from "zod";
import { parseEnv } from "@schematizer/config";

const port = (fallback: number) => z.coerce.number().int().min(1).max(65535).default(fallback);

/** The local stack's settings. Each service can instead be an external server named by its URL variable. */
export const stackEnvSchema = z.object({
  /** Brokers of an external Kafka cluster (comma-separated host:port); the local broker is not started when set. */
  KAFKA_BROKERS: z.string().optional(),
  /** An external Postgres (registry, ledgers and local warehouse); the embedded one is not started when set. */
  DATABASE_URL: z.string().url().optional(),
  /** An external S3-protocol endpoint (MinIO, AWS); the local S3 server is not started when set. */
  S3_ENDPOINT: z.string().url().optional(),
  S3_REGION: z.string().default("us-east-1"),
  S3_ACCESS_KEY_ID: z.string().default("schematizer"),
  S3_SECRET_ACCESS_KEY: z.string().default("schematizer"),
  /** The bucket batches are written to; the local S3 server creates it. */
  S3_BUCKET: z.string().default("schematizer"),
  /** Where the stack keeps its downloads, data, logs and pid files (git-ignored). */
  STACK_DIR: z.string().default(path.join(repoRoot(), ".stack")),
  /** Where downloaded jars are kept; defaults to STACK_DIR/cache. Several stacks can share one. */
  STACK_CACHE_DIR: z.string().optional(),
  STACK_KAFKA_PORT: port(9092),
  STACK_KAFKA_CONTROLLER_PORT: port(9093),
  STACK_POSTGRES_PORT: port(54329),
  STACK_S3_PORT: port(9090),
  STACK_S3_HTTPS_PORT: port(9191),
  /** Apache Kafka release fetched from Maven Central (org.apache.kafka:kafka_2.13). */
  STACK_KAFKA_VERSION: z.string().default("4.3.1"),
  /** log4j version matching the one kafka_2.13 resolves; supplies the SLF4J binding its POM leaves out. */
  STACK_LOG4J_VERSION: z.string().default("2.25.4"),
  /** Adobe S3Mock release fetched from Maven Central (com.adobe.testing:s3mock, exec jar). */
  STACK_S3MOCK_VERSION: z.string().default("5.0.0"),
  STACK_KAFKA_HEAP: z.string().default("512m"),
  /** The Node 22 release `npm test` runs the suites on too where the machine's Node is another major (npm package node-<platform>-<arch>). */
  STACK_NODE_VERSION: z.string().regex(/^\d+\.\d+\.\d+$/).default("22.23.5"),
});

export type StackEnv = z.output<typeof stackEnvSchema>;

/** Where every service of the stack can be reached, local or external. */
export interface Endpoints {
  kafka: { brokers: string[]; external: boolean };
  postgres: { url: string; external: boolean };
  s3: { endpoint: string; region: string; accessKeyId: string; secretAccessKey: string; bucket: string; external: boolean };
}

export function readStackEnv(env: NodeJS.ProcessEnv = process.env): StackEnv {
  return parseEnv(stackEnvSchema, env);
}

/** The folder of downloaded jars. */
export function cacheDir(env: StackEnv): string {
  return env.STACK_CACHE_DIR ?? path.join(env.STACK_DIR, "cache");
}

/**
 * Endpoints from the environment: external servers where named, else the local stack's ports.
 *
 * @example
 * const { kafka, postgres, s3 } = resolveEndpoints();
 */
export function resolveEndpoints(env: StackEnv = readStackEnv()): Endpoints {
  return {
    kafka: {
      brokers: (env.KAFKA_BROKERS ?? `127.0.0.1:${env.STACK_KAFKA_PORT}`).split(",").map((b) => b.trim()),
      external: env.KAFKA_BROKERS !== undefined,
    },
    postgres: {
      url: env.DATABASE_URL ?? `postgres://postgres:postgres@127.0.0.1:${env.STACK_POSTGRES_PORT}/postgres`,
      external: env.DATABASE_URL !== undefined,
    },
    s3: {
      endpoint: env.S3_ENDPOINT ?? `http://127.0.0.1:${env.STACK_S3_PORT}`,
      region: env.S3_REGION,
      accessKeyId: env.S3_ACCESS_KEY_ID,
      secretAccessKey: env.S3_SECRET_ACCESS_KEY,
      bucket: env.S3_BUCKET,
      external: env.S3_ENDPOINT !== undefined,
    },
  };
}

export function repoRoot(): string {
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
}
