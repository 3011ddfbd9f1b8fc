import { describe, expect, it } from "vitest";
import { kafkaUuid } from "./kafka-service.ts";

describe("kafkaUuid", () => {
  it("is 22 base64url characters and never starts with a dash", () => {
    // 0xfb 0xff… encodes to "-_…": the first candidate is refused, the second kept.
    const candidates = [Buffer.alloc(16, 0xff).fill(0xfb, 0, 1), Buffer.alloc(16, 7)];
    const id = kafkaUuid(() => candidates.shift()!);
    expect(id).toBe(Buffer.alloc(16, 7).toString("base64url"));
    for (let i = 0; i < 1000; i++) expect(kafkaUuid()).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
  });
});
