/**
 * Where a keyed message goes: the partitioning of kafkajs's DefaultPartitioner and of the Java
 * client, which both adapters use, so a key keeps its partition whichever client wrote it.
 */

/**
 * The partition a key is written to among `partitions`: murmur2 of its bytes, sign bit cleared,
 * modulo the count. It changes when partitions are added: an entity's later events may go elsewhere.
 *
 * @example
 * keyPartition("user-1", 4) // the partition of raw.<app> that events with enid "user-1" go to
 */
export function keyPartition(key: string | Buffer, partitions: number): number {
  return (murmur2(typeof key === "string" ? Buffer.from(key) : key) & 0x7fffffff) % partitions;
}

/** Kafka's murmur2 (org.apache.kafka.common.utils.Utils#murmur2) in 32-bit integer arithmetic. */
export function murmur2(data: Buffer): number {
  const m = 0x5bd1e995;
  const length = data.length;
  let h = 0x9747b28c ^ length;
  const whole = length & ~3;
  for (let i = 0; i < whole; i += 4) {
    let k = data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24);
    k = Math.imul(k, m);
    k ^= k >>> 24;
    k = Math.imul(k, m);
    h = Math.imul(h, m) ^ k;
  }
  const rest = length & 3;
  if (rest === 3) h ^= data[whole + 2]! << 16;
  if (rest >= 2) h ^= data[whole + 1]! << 8;
  if (rest >= 1) h = Math.imul(h ^ data[whole]!, m);
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
}

