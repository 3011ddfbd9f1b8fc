export type {
  Admin,
  BatchContext,
  BatchHandler,
  Bytes,
  ConsumedMessage,
  Consumer,
  ConsumerOptions,
  KafkaClient,
  KafkaClientConfig,
  MessageBatch,
  PartitionOffsets,
  ProducedMessage,
  Producer,
  ProducerOptions,
  TopicMessages,
  TopicSpec,
} from "./kafka-client.ts";
export { kafkajsClient, type KafkaJsConfig } from "./kafkajs-client.ts";
export { platformaticClient, type PlatformaticConfig } from "./platformatic/platformatic-client.ts";
export { watchKafka, type KafkaHealth } from "./kafka-health.ts";
export { watchingConsumer, type WatchingConsumerOptions } from "./topic-watching-consumer.ts";
export { createKafkaClient, KAFKA_CLIENTS, type KafkaClientKind } from "./create-kafka-client.ts";
export { keyPartition } from "./key-partition.ts";
export { RECORD_BATCH_HEADER_BYTES, recordBytes } from "./record-bytes.ts";
