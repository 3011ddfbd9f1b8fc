import type { KafkaClient, KafkaClientConfig } from "./kafka-client.ts";
import { kafkajsClient } from "./kafkajs-client.ts";
import { platformaticClient } from "./platformatic/platformatic-client.ts";

/** The implementations of KafkaClient; `npm run bench:kafka` measures them against each other. */
export const KAFKA_CLIENTS = ["kafkajs", "platformatic"] as const;
export type KafkaClientKind = (typeof KAFKA_CLIENTS)[number];

/**
 * A KafkaClient of the chosen implementation.
 *
 * @example
 * const kafka = createKafkaClient(config.KAFKA_CLIENT, { brokers, clientId: "event-sink" });
 */
export function createKafkaClient(kind: KafkaClientKind, config: KafkaClientConfig): KafkaClient {
  return kind === "platformatic" ? platformaticClient(config) : kafkajsClient(config);
}
