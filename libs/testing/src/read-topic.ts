import { waitFor } from "@schematizer/errors";
import type { ConsumedMessage, KafkaClient } from "@schematizer/kafka";

/**
 * Reads a topic from the beginning in a fresh consumer group until `until` says it has what it
 * needs (default: at least `count` messages), then leaves the group.
 *
 * @example
 * const messages = await readTopic(kafka.client, topic, kafka.group("check"), { count: 10 });
 */
export async function readTopic(
  client: KafkaClient,
  topic: string,
  groupId: string,
  options: { count?: number; until?: (messages: ConsumedMessage[]) => boolean; timeoutMs?: number },
): Promise<ConsumedMessage[]> {
  const messages: ConsumedMessage[] = [];
  const done = options.until ?? ((m: ConsumedMessage[]) => m.length >= (options.count ?? 1));
  const consumer = await client.consumer({ groupId, topics: [topic], fromBeginning: true });
  try {
    await consumer.run(async (batch) => {
      messages.push(...batch.messages);
    });
    await waitFor(`messages on ${topic}`, async () => (done(messages) ? true : undefined), {
      timeoutMs: options.timeoutMs ?? 30_000,
      intervalMs: 50,
    });
  } finally {
    await consumer.close();
  }
  return messages;
}
