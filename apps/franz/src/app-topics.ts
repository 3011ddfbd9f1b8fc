import { topicsFor, type TopicSpec } from "@schematizer/kafka";
import type { FranzConfig } from "./config.ts";

export type TopicKind = "raw" | "sql" | "dlq";

/**
 * The three topics of an app with their partitions, replication and retention.
 *
 * @example
 * appTopicSpecs("acme", config) // [{ name: "raw.acme", partitions: 3, configs: { "retention.ms": "604800000", … } }, …]
 */
export function appTopicSpecs(app: string, config: FranzConfig): (TopicSpec & { kind: TopicKind })[] {
  const names = topicsFor(app, config.TOPIC_PREFIX);
  const spec = (kind: TopicKind, partitions: number, retentionMs: number) => ({
    kind,
    name: names[kind],
    partitions,
    replicationFactor: config.FRANZ_REPLICATION_FACTOR,
    configs: {
      "retention.ms": String(retentionMs),
      "cleanup.policy": "delete",
      // With 3 replicas, acks=all needs 2 of them: one broker may be down without refusing writes.
      "min.insync.replicas": String(Math.min(2, config.FRANZ_REPLICATION_FACTOR)),
    },
  });
  return [
    spec("raw", config.FRANZ_RAW_PARTITIONS, config.FRANZ_RAW_RETENTION_MS),
    spec("sql", config.FRANZ_SQL_PARTITIONS, config.FRANZ_SQL_RETENTION_MS),
    spec("dlq", config.FRANZ_DLQ_PARTITIONS, config.FRANZ_DLQ_RETENTION_MS),
  ];
}
