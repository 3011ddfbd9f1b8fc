import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { keyPartition } from "../key-partition.ts";
import { javaCompatiblePartitioner } from "./platformatic-partitioner.ts";

describe("javaCompatiblePartitioner", () => {
  it("puts a keyed message where keyPartition says, once the library takes it modulo the partition count", () => {
    const partitioner = javaCompatiblePartitioner();
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), fc.integer({ min: 1, max: 64 }), (bytes, count) => {
        const key = Buffer.from(bytes);
        const chosen = partitioner({}, key);
        expect(chosen).toBeGreaterThanOrEqual(0);
        expect(chosen % count).toBe(keyPartition(key, count));
      }),
    );
  });

  it("spreads keyless messages round-robin", () => {
    const partitioner = javaCompatiblePartitioner();
    const chosen = Array.from({ length: 8 }, () => partitioner({}, undefined) % 4);
    for (let i = 1; i < chosen.length; i++) expect(chosen[i]).toBe((chosen[i - 1]! + 1) % 4);
  });
});
