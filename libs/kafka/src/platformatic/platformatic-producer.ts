/**
 * The project's Producer on the library's: messages converted to its shape in one pass, and an
 * explicit partition checked against the topic's real partition count before anything is sent.
 */
import type { MessageToProduce } from "@platformatic/kafka";
import type { Producer } from "../kafka-client.ts";
import { closeClient, type LibProducer } from "./library-client.ts";

/**
 * Wraps a connected library producer.
 *
 * @example
 * const producer = platformaticProducer(new LibProducer({ ...base, acks: ProduceAcks.ALL }));
 * await producer.send([{ topic: "raw.acme", messages: [{ key: "u1", value: "{}" }] }]);
 */
export function platformaticProducer(producer: LibProducer): Producer {
  return {
    async send(batches) {
      const messages: MessageToProduce<Buffer, Buffer, Buffer, Buffer>[] = [];
      let explicit: Map<string, number> | undefined;
      for (const { topic, messages: batch } of batches) {
        for (const m of batch) {
          let headers: Map<Buffer, Buffer> | undefined;
          if (m.headers) {
            headers = new Map();
            for (const name in m.headers) headers.set(headerName(name), toBuffer(m.headers[name]!));
          }
          messages.push({
            topic,
            key: m.key == null ? undefined : toBuffer(m.key),
            // A null value (a tombstone) is written as null.
            value: (m.value == null ? null : toBuffer(m.value)) as Buffer,
            headers,
            partition: m.partition,
            timestamp: m.timestamp === undefined ? undefined : BigInt(m.timestamp),
          });
          if (m.partition !== undefined) {
            explicit ??= new Map();
            explicit.set(topic, Math.max(explicit.get(topic) ?? 0, m.partition));
          }
        }
      }
      if (messages.length === 0) return;
      // The library takes an explicit partition modulo the partition count it knows: refuse one
      // that does not exist rather than write to another.
      if (explicit) await checkPartitions(producer, explicit);
      await producer.send({ messages });
    },
    close: () => closeClient(producer),
  };
}

/** Throws unless each topic has a partition `highest.get(topic)`, renewing the metadata once if needed. */
async function checkPartitions(producer: LibProducer, highest: Map<string, number>): Promise<void> {
  const topics = [...highest.keys()];
  const fits = (metadata: Awaited<ReturnType<typeof producer.metadata>>) =>
    topics.every((t) => highest.get(t)! < (metadata.topics.get(t)?.partitionsCount ?? 0));
  if (fits(await producer.metadata({ topics }))) return;
  const fresh = await producer.metadata({ topics, forceUpdate: true });
  for (const topic of topics) {
    const count = fresh.topics.get(topic)?.partitionsCount ?? 0;
    if (highest.get(topic)! >= count) throw new Error(`partition ${highest.get(topic)} of ${topic} does not exist (${count} partitions)`);
  }
}

/** Header names are few (sz-id, sz-received-at, ...): their bytes are made once and shared. */
const headerNames = new Map<string, Buffer>();
function headerName(name: string): Buffer {
  let bytes = headerNames.get(name);
  if (bytes === undefined) {
    bytes = Buffer.from(name);
    if (headerNames.size < 1_000) headerNames.set(name, bytes);
  }
  return bytes;
}

function toBuffer(value: string | Buffer): Buffer {
  return typeof value === "string" ? Buffer.from(value) : value;
}
