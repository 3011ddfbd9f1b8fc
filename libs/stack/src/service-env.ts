/**
 * The one builder of a service's environment from where the stack's servers are: `npm start`,
 * the end-to-end tests and the benchmarks all start services with it, each adding only its own
 * settings (ports, timings).
 */
import type { ServiceName } from "./service-bundles.ts";
import type { Endpoints } from "./stack-config.ts";

/**
 * The part of the stack a service works in. Empty: the stack itself, as `npm start` runs it.
 * A test or a benchmark names its own corner so that it shares nothing with anyone else's.
 */
export interface ServiceScope {
  /** Brokers instead of the stack's (a private broker that a test restarts). */
  brokers?: string[];
  /** The Postgres database instead of the stack's (a test's own). */
  databaseUrl?: string;
  /**
   * A Postgres schema of the corner's own: the registry's tables, the batcher's ledger, and the
   * prefix of the warehouse schemas (`<schema>_<app>`, in the same database).
   */
  schema?: string;
  /** Prefix of the corner's topics and of its consumer groups. */
  topicPrefix?: string;
  /** The batcher's bucket instead of the stack's. */
  bucket?: string;
  kafkaClient?: string;
  logLevel?: string;
}

/**
 * The variables every service reads to find Kafka and the registry, in the scope's corner.
 *
 * @example
 * sharedServiceEnv(resolveEndpoints()); // { KAFKA_BROKERS: "127.0.0.1:9092", DATABASE_URL: "postgres://…:54329/postgres" }
 */
export function sharedServiceEnv(endpoints: Endpoints, scope: ServiceScope = {}): Record<string, string> {
  return {
    KAFKA_BROKERS: (scope.brokers ?? endpoints.kafka.brokers).join(","),
    DATABASE_URL: scope.databaseUrl ?? endpoints.postgres.url,
    ...(scope.schema === undefined ? {} : { REGISTRY_SCHEMA: scope.schema }),
    ...(scope.topicPrefix === undefined ? {} : { TOPIC_PREFIX: scope.topicPrefix }),
    ...(scope.kafkaClient === undefined ? {} : { KAFKA_CLIENT: scope.kafkaClient }),
    ...(scope.logLevel === undefined ? {} : { LOG_LEVEL: scope.logLevel }),
  };
}

/**
 * One service's environment: the shared variables, and what places the service in the scope's
 * corner (the consumer groups under the topic prefix; the batcher's bucket, ledger and warehouse
 * schemas).
 *
 * @example
 * serviceEnv("batcher", endpoints, { schema: db.schema, databaseUrl: db.url, topicPrefix: kafka.prefix, bucket: bucket.bucket });
 * // { …, BATCHER_GROUP_ID: `${kafka.prefix}batcher`, BATCHER_SCHEMA: db.schema, WAREHOUSE_URL: db.url, WAREHOUSE_SCHEMA_PREFIX: `${db.schema}_` }
 */
export function serviceEnv(service: ServiceName, endpoints: Endpoints, scope: ServiceScope = {}): Record<string, string> {
  const shared = sharedServiceEnv(endpoints, scope);
  const group = (name: string) => (scope.topicPrefix === undefined ? {} : { [`${name.toUpperCase()}_GROUP_ID`]: `${scope.topicPrefix}${name}` });
  switch (service) {
    case "sqlizer":
      return { ...shared, ...group("sqlizer") };
    case "batcher":
      return {
        ...shared,
        ...group("batcher"),
        ...(scope.topicPrefix === undefined ? {} : { BATCHER_ARCHIVE_GROUP_ID: `${scope.topicPrefix}archiver` }),
        S3_ENDPOINT: endpoints.s3.endpoint,
        S3_REGION: endpoints.s3.region,
        S3_ACCESS_KEY_ID: endpoints.s3.accessKeyId,
        S3_SECRET_ACCESS_KEY: endpoints.s3.secretAccessKey,
        S3_BUCKET: scope.bucket ?? endpoints.s3.bucket,
        ...(scope.schema === undefined
          ? {}
          : { BATCHER_SCHEMA: scope.schema, WAREHOUSE_URL: shared.DATABASE_URL!, WAREHOUSE_SCHEMA_PREFIX: `${scope.schema}_` }),
      };
    default:
      return shared;
  }
}
