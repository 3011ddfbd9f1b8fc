import { describe, expect, it } from "vitest";
import { firstUncovered, rangeStart } from "./range-fence.ts";

describe("rangeStart", () => {
  it("starts right after the ledger's end, counting offsets that had no record", () => {
    expect(rangeStart(99n, 100n)).toEqual({ first: 100n, unseen: 0n });
    expect(rangeStart(99n, 105n)).toEqual({ first: 100n, unseen: 5n });
    expect(rangeStart(undefined, 1234n)).toEqual({ first: 1234n, unseen: 0n });
  });
});

describe("firstUncovered", () => {
  it("skips the records the ledger already covers", () => {
    const messages = ["98", "99", "100", "101"].map((offset) => ({ offset }));
    expect(firstUncovered(messages, 99n)).toBe(2);
    expect(firstUncovered(messages, undefined)).toBe(0);
    expect(firstUncovered(messages, 200n)).toBe(4);
    expect(firstUncovered([{ offset: "18446744073709551615" }], 18446744073709551614n)).toBe(0);
  });
});
