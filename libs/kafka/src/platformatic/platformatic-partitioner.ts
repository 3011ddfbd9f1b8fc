/**
 * The producer's partitioner: keyed messages go where kafkajs's DefaultPartitioner and the Java
 * client put them (see ../key-partition.ts, which both clients' placement is tested against).
 */
import { murmur2 } from "../key-partition.ts";

/**
 * murmur2 of the key with the sign bit cleared (the library takes it modulo the partition count);
 * keyless messages round-robin from a random start. The library's own default hashes differently
 * (unsigned), and its murmur2 works on BigInts.
 *
 * @example
 * new Producer({ ...base, partitioner: javaCompatiblePartitioner() });
 */
export function javaCompatiblePartitioner(): (message: unknown, key: Buffer | undefined) => number {
  let next = Math.floor(Math.random() * 1_000);
  return (_message, key) => (key === undefined ? next++ & 0x7fffffff : murmur2(key) & 0x7fffffff);
}
