import { createRequire } from "node:module";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { keyPartition, murmur2 } from "./key-partition.ts";

const kafkajsMurmur2 = createRequire(import.meta.url)("kafkajs/src/producer/partitioners/default/murmur2.js") as (key: Buffer) => number;

describe("murmur2, which places keyed messages", () => {
  it("matches the Java client's test vectors", () => {
    // org.apache.kafka.common.utils.UtilsTest#testMurmur2
    const cases: [string, number][] = [
      ["21", -973932308],
      ["foobar", -790332482],
      ["a-little-bit-long-string", -985981536],
      ["a-little-bit-longer-string", -1486304829],
      ["lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971],
      ["abc", 479470107],
    ];
    for (const [key, hash] of cases) expect(murmur2(Buffer.from(key))).toBe(hash);
  });

  it("agrees with kafkajs's on any key, so a key keeps its partition across clients", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => {
        const key = Buffer.from(bytes);
        expect(murmur2(key)).toBe(kafkajsMurmur2(key));
      }),
      { numRuns: 2_000 },
    );
  });
});

describe("keyPartition", () => {
  it("is the partition kafkajs's default partitioner picks, for any key and partition count", () => {
    const partitioner = createRequire(import.meta.url)("kafkajs/src/producer/partitioners/default/index.js") as () => (args: {
      topic: string;
      partitionMetadata: { partitionId: number; leader: number }[];
      message: { key: Buffer };
    }) => number;
    const kafkajsPartition = partitioner();
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 40 }), fc.integer({ min: 1, max: 64 }), (bytes, count) => {
        const key = Buffer.from(bytes);
        const partitionMetadata = Array.from({ length: count }, (_, partitionId) => ({ partitionId, leader: 0 }));
        expect(keyPartition(key, count)).toBe(kafkajsPartition({ topic: "t", partitionMetadata, message: { key } }));
      }),
      { numRuns: 1_000 },
    );
  });
});
