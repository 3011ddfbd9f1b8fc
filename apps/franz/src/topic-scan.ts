import { randomUUID } from "node:crypto";
import type { Admin, ConsumedMessage, KafkaClient } from "@schematizer/kafka";

/** A scan that reads nothing new for this long has lost the broker. */
const STALL_MS = 30_000;

export interface ScanDeps {
  kafka: KafkaClient;
  admin: Admin;
  /** Begins the scan's group id (the environment's TOPIC_PREFIX), so environments sharing a cluster stay apart. */
  groupPrefix: string;
}

/**
 * Reads a topic from its earliest offsets to the high watermarks it has when the scan starts,
 * handing each message to `visit` once, in offset order within a partition; messages written
 * during the scan are left for the next one. Returns the number of messages read.
 *
 * The project's clients read only as members of a consumer group, which commits what it read: the
 * scan's group is its own (`<prefix>franz-scan-<uuid>`), no other consumer's offsets move, and it is
 * deleted when the scan ends. An error thrown by `visit` ends the scan and is thrown.
 *
 * @example
 * await scanTopic({ kafka, admin, groupPrefix: "" }, "dlq.acme", (message) => letters.push(message));
 */
export async function scanTopic(deps: ScanDeps, topic: string, visit: (message: ConsumedMessage) => void | Promise<void>): Promise<number> {
  // Next offset wanted and end, per partition that holds anything.
  const next = new Map<number, bigint>();
  const end = new Map<number, bigint>();
  for (const p of await deps.admin.topicOffsets(topic)) {
    if (BigInt(p.high) > BigInt(p.low)) {
      next.set(p.partition, BigInt(p.low));
      end.set(p.partition, BigInt(p.high));
    }
  }
  if (end.size === 0) return 0;

  let read = 0;
  let progressAt = Date.now();
  let settle!: (error?: unknown) => void;
  const finished = new Promise<void>((resolve, reject) => {
    let settled = false;
    settle = (error) => {
      if (settled) return;
      settled = true;
      if (error === undefined) resolve();
      else reject(error instanceof Error ? error : new Error(String(error)));
    };
  });
  const stall = setInterval(() => {
    if (Date.now() - progressAt > STALL_MS) settle(new Error(`read nothing of ${topic} for ${STALL_MS / 1000} s (is Kafka reachable?)`));
  }, 1_000);

  const groupId = `${deps.groupPrefix}franz-scan-${randomUUID()}`;
  const consumer = await deps.kafka.consumer({ groupId, topics: [topic], fromBeginning: true, maxWaitMs: 200 });
  try {
    await consumer.run(async (batch) => {
      const stop = end.get(batch.partition);
      if (stop === undefined) return;
      progressAt = Date.now();
      try {
        for (const message of batch.messages) {
          const offset = BigInt(message.offset);
          // A batch fetched again after a rebalance starts before what was read; nothing is handed over twice.
          if (offset < next.get(batch.partition)! || offset >= stop) continue;
          await visit(message);
          read++;
          next.set(batch.partition, offset + 1n);
        }
      } catch (error) {
        end.clear();
        settle(error);
        return;
      }
      if (next.get(batch.partition)! >= stop) {
        end.delete(batch.partition);
        if (end.size === 0) settle();
      }
    });
    await finished;
  } finally {
    clearInterval(stall);
    await consumer.close();
    await deps.admin.deleteGroups([groupId]).catch(() => undefined);
  }
  return read;
}
