/**
 * The KafkaClient on @platformatic/kafka, a pure JavaScript client: the producer, the admin and
 * the group consumer, each in its own file beside this one.
 */
import { Admin as LibAdmin, ConnectionPool, Consumer as LibConsumer, ProduceAcks, Producer as LibProducer } from "@platformatic/kafka";
import type { Admin, Consumer, ConsumerOptions, KafkaClient, KafkaClientConfig, Producer, ProducerOptions } from "../kafka-client.ts";
import { baseOptions, fetchSettings, memberOptions } from "./client-options.ts";
import { GroupConsumer } from "./group-consumer.ts";
import { connected, forwardClientEvents, type Log } from "./library-client.ts";
import { platformaticAdmin } from "./platformatic-admin.ts";
import { javaCompatiblePartitioner } from "./platformatic-partitioner.ts";
import { platformaticProducer } from "./platformatic-producer.ts";
import { resolveTopics } from "./subscribed-topics.ts";

export type PlatformaticConfig = KafkaClientConfig;

/**
 * The KafkaClient on @platformatic/kafka. Behaves as the kafkajs one: acks=all by default, keys
 * hashed to the same partitions as kafkajs and the Java client (murmur2), a consumer's batch
 * committed only after its handler resolved.
 *
 * @example
 * const kafka = platformaticClient({ brokers: ["127.0.0.1:9092"], clientId: "event-sink" });
 * const producer = await kafka.producer();
 * await producer.send([{ topic: "raw.acme", messages: [{ key: "u1", value: "{}" }] }]);
 */
export function platformaticClient(config: PlatformaticConfig): KafkaClient {
  const base = baseOptions(config);
  const log: Log = config.log ?? (() => undefined);

  return {
    async producer(options: ProducerOptions = {}): Promise<Producer> {
      const producer = new LibProducer<Buffer, Buffer, Buffer, Buffer>({
        ...base,
        acks: options.acksAll === false ? ProduceAcks.LEADER : ProduceAcks.ALL,
        compression: options.compression === "gzip" ? "gzip" : "none",
        partitioner: javaCompatiblePartitioner(),
      });
      forwardClientEvents(producer, log);
      await connected(producer);
      return platformaticProducer(producer);
    },

    async consumer(options: ConsumerOptions): Promise<Consumer> {
      const topics = await resolveTopics(base, options.topics);
      const consumer = new LibConsumer<Buffer, Buffer, Buffer, Buffer>(memberOptions(base, options));
      forwardClientEvents(consumer, log);
      // Fetches get connections of their own: a fetch waiting on an idle topic would hold up the
      // heartbeats and commits queued behind it on a shared one.
      const fetchPool = new ConnectionPool(config.clientId, {
        connectTimeout: base.connectTimeout,
        requestTimeout: base.requestTimeout,
      });
      return new GroupConsumer({ consumer, fetchPool, topics, settings: fetchSettings(options), log });
    },

    async admin(): Promise<Admin> {
      const admin = new LibAdmin(base);
      forwardClientEvents(admin, log);
      await connected(admin);
      return platformaticAdmin(admin);
    },
  };
}
