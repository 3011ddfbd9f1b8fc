import { describe, expect, it } from "vitest";
import { ndjsonLines } from "./ndjson-lines.ts";

async function lines(chunks: (Buffer | string)[]): Promise<string[]> {
  const out: string[] = [];
  for await (const line of ndjsonLines((async function* () {
    yield* chunks;
  })())) out.push(line);
  return out;
}

describe("ndjsonLines", () => {
  it("yields each line once, across chunks cut anywhere, without an empty line after the last newline", async () => {
    const text = '{"a":1}\n{"b":"é😀"}\n\n{"c":3}\n';
    const bytes = Buffer.from(text);
    const expected = ['{"a":1}', '{"b":"é😀"}', "", '{"c":3}'];
    for (let cut = 0; cut <= bytes.length; cut++) {
      expect(await lines([bytes.subarray(0, cut), bytes.subarray(cut)]), `cut at ${cut}`).toEqual(expected);
    }
    expect(await lines([...bytes].map((b) => Buffer.from([b])))).toEqual(expected);
  });

  it("yields a last line without its newline, and nothing for no bytes", async () => {
    expect(await lines(["a\nb"])).toEqual(["a", "b"]);
    expect(await lines([])).toEqual([]);
    expect(await lines(["", "\n"])).toEqual([""]);
  });
});
