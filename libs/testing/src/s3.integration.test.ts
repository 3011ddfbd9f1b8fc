import { Readable } from "node:stream";
import { randomBytes } from "node:crypto";
import { describe, expect } from "vitest";
import { test } from "./fixtures.ts";

describe("S3 through the project's interface", () => {
  test("put, get, head with metadata, list with a prefix, delete", async ({ bucket }) => {
    const { store } = bucket;
    await store.put("loads/acme/a.csv.gz", Buffer.from("a,b\n1,2\n"), { metadata: { rows: "1", table: "_e_user__login" } });
    await store.put("loads/acme/b.csv.gz", "x");
    await store.put("other/c", "y");

    expect((await store.get("loads/acme/a.csv.gz"))?.toString()).toBe("a,b\n1,2\n");
    expect(await store.get("loads/acme/missing")).toBeUndefined();
    expect((await store.head("loads/acme/a.csv.gz"))?.metadata).toEqual({ rows: "1", table: "_e_user__login" });
    expect((await store.list("loads/acme/")).map((o) => o.key)).toEqual(["loads/acme/a.csv.gz", "loads/acme/b.csv.gz"]);

    await store.delete(["loads/acme/a.csv.gz"]);
    expect((await store.list("loads/")).map((o) => o.key)).toEqual(["loads/acme/b.csv.gz"]);
  });

  test("a streamed body larger than a part goes up in parts and comes back intact", async ({ bucket }) => {
    const part = 5 * 1024 * 1024;
    const body = randomBytes(part * 2 + 12345);
    const chunks = Array.from({ length: Math.ceil(body.length / 65536) }, (_, i) => body.subarray(i * 65536, (i + 1) * 65536));
    await bucket.store.put("big.bin", Readable.from(chunks), { partSizeBytes: part });

    const back = await bucket.store.get("big.bin");
    expect(back?.length).toBe(body.length);
    expect(back?.equals(body)).toBe(true);
    expect((await bucket.store.head("big.bin"))?.size).toBe(body.length);
  });
});
