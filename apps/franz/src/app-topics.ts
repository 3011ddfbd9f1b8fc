import { topicMessageBytes } from "@schematizer/config";
import { topicsFor } from "@schematizer/contracts";
import type { TopicSpec } from "@schematizer/kafka";
import type { FranzConfig } from "./config.ts";

export type TopicKind = "raw" | "sql" | "dlq";

/** The topic config that must follow the event size limit. */
export const MAX_MESSAGE_BYTES = "max.message.bytes";

/**
 * The three topics of an app with their partitions, replication, retention, and the largest record
 * batch each takes: sized from the event limit (EVENT_MAX_BYTES) that event-sink and the sqlizer
 * apply, so that no accepted event is refused by Kafka (the broker's default, 1048588 bytes, is
 * less than a 1 MiB event with its headers).
 *
 * @example
 * appTopicSpecs("acme", config) // [{ name: "raw.acme", partitions: 3, configs: { "retention.ms": "604800000", "max.message.bytes": "1114112", … } }, …]
 */
export function appTopicSpecs(app: string, config: FranzConfig): (TopicSpec & { kind: TopicKind; configs: Record<string, string> })[] {
  const names = topicsFor(app, config.TOPIC_PREFIX);
  const maxMessageBytes = topicMessageBytes(config.EVENT_MAX_BYTES);
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
      [MAX_MESSAGE_BYTES]: String(maxMessageBytes[kind]),
    },
  });
  return [
    spec("raw", config.FRANZ_RAW_PARTITIONS, config.FRANZ_RAW_RETENTION_MS),
    spec("sql", config.FRANZ_SQL_PARTITIONS, config.FRANZ_SQL_RETENTION_MS),
    spec("dlq", config.FRANZ_DLQ_PARTITIONS, config.FRANZ_DLQ_RETENTION_MS),
  ];
}
