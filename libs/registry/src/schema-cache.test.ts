import { describe, expect, it } from "vitest";
import { ImmutableCache, KeyedQueue, LatestVersionCache } from "./schema-cache.ts";

describe("LatestVersionCache", () => {
  it("only moves forward", () => {
    const cache = new LatestVersionCache<{ version: number; tag: string }>(10);
    cache.offer("t", { version: 2, tag: "b" });
    expect(cache.offer("t", { version: 1, tag: "a" }).tag).toBe("b");
    expect(cache.offer("t", { version: 2, tag: "other" }).tag).toBe("b");
    expect(cache.offer("t", { version: 3, tag: "c" }).tag).toBe("c");
    expect(cache.get("t")?.version).toBe(3);
  });

  it("drops the oldest table when full", () => {
    const cache = new LatestVersionCache<{ version: number }>(2);
    cache.offer("a", { version: 1 });
    cache.offer("b", { version: 1 });
    cache.offer("c", { version: 1 });
    expect([cache.get("a"), cache.size]).toEqual([undefined, 2]);
  });
});

describe("ImmutableCache", () => {
  it("keeps values by id within its capacity", () => {
    const cache = new ImmutableCache<number, string>(2);
    cache.set(1, "one");
    cache.set(2, "two");
    cache.set(2, "two");
    expect(cache.size).toBe(2);
    cache.set(3, "three");
    expect([cache.get(1), cache.get(2), cache.get(3)]).toEqual([undefined, "two", "three"]);
  });
});

describe("KeyedQueue", () => {
  it("runs one task at a time per key, in order, and keeps going after a failure", async () => {
    const queue = new KeyedQueue();
    const log: string[] = [];
    const task = (name: string, fail = false) => async () => {
      log.push(`start ${name}`);
      await new Promise((r) => setTimeout(r, 5));
      log.push(`end ${name}`);
      if (fail) throw new Error(name);
      return name;
    };
    const results = await Promise.allSettled([queue.run("t", task("a", true)), queue.run("t", task("b")), queue.run("u", task("c"))]);
    expect(results.map((r) => r.status)).toEqual(["rejected", "fulfilled", "fulfilled"]);
    expect(log.indexOf("start b")).toBeGreaterThan(log.indexOf("end a"));
    expect(log.indexOf("start c")).toBeLessThan(log.indexOf("end a"));
    await new Promise((r) => setTimeout(r, 0));
    expect(queue.size).toBe(0);
  });
});
