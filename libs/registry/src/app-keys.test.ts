import { describe, expect, it } from "vitest";
import { generateKey, hashKey, keyMatches, KEY_PREFIX } from "./app-keys.ts";

describe("write keys", () => {
  it("are 32 random bytes behind a recognisable prefix, different every time", () => {
    const keys = new Set(Array.from({ length: 100 }, () => generateKey()));
    expect(keys.size).toBe(100);
    for (const key of keys) {
      expect(key.startsWith(KEY_PREFIX)).toBe(true);
      expect(Buffer.from(key.slice(KEY_PREFIX.length), "base64url")).toHaveLength(32);
    }
  });

  it("match only their own hash", () => {
    const key = generateKey();
    const other = generateKey();
    expect(keyMatches(key, hashKey(key))).toBe(true);
    expect(keyMatches(other, hashKey(key))).toBe(false);
    expect(keyMatches("", hashKey(key))).toBe(false);
    expect(keyMatches(key, new Uint8Array(5))).toBe(false);
  });

  it("hash to 32 bytes that do not contain the key", () => {
    const key = generateKey(() => Buffer.alloc(32, 7));
    expect(key).toBe(`${KEY_PREFIX}${Buffer.alloc(32, 7).toString("base64url")}`);
    expect(hashKey(key)).toHaveLength(32);
    expect(hashKey(key).toString("hex")).toBe(hashKey(key).toString("hex"));
  });
});
