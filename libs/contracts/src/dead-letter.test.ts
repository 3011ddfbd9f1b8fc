import { describe, expect, it } from "vitest";
import { deadLetterOf, readDeadLetter, withoutValue, type SourceMessage } from "./dead-letter.ts";
import { HEADERS } from "./event-headers.ts";

const raw: SourceMessage = {
  topic: "raw.acme",
  partition: 3,
  offset: "9007199254740993",
  key: Buffer.from("u1"),
  value: Buffer.from('{"entype":'),
  headers: { [HEADERS.id]: Buffer.from("e17"), [HEADERS.receivedAt]: Buffer.from("1420072292000"), absent: undefined },
};

/** A produced letter as a consumer reads it: every header as bytes. */
function consumed(letter: { headers: Record<string, Buffer | string> }): { headers: Record<string, Buffer> } {
  return { headers: Object.fromEntries(Object.entries(letter.headers).map(([k, v]) => [k, Buffer.from(v)])) };
}

describe("the dead-letter record", () => {
  it("keeps the raw event's key, bytes and headers, and adds why and where from", () => {
    const letter = deadLetterOf(raw, { code: "EVENT_INVALID_JSON", message: "unexpected end", path: "$.body" });
    expect(letter.key).toBe(raw.key);
    expect(letter.value).toBe(raw.value);
    expect(letter.headers).toEqual({
      "sz-id": Buffer.from("e17"),
      "sz-received-at": Buffer.from("1420072292000"),
      "sz-error-code": "EVENT_INVALID_JSON",
      "sz-error-message": "unexpected end",
      "sz-error-path": "$.body",
      "sz-source-topic": "raw.acme",
      "sz-source-partition": "3",
      "sz-source-offset": "9007199254740993",
    });
  });

  it("reads back as it was written: code, message, path, origin and id", () => {
    const letter = deadLetterOf(raw, { code: "EVENT_INVALID_JSON", message: "unexpected end", path: "$.body" });
    expect(readDeadLetter(consumed(letter))).toEqual({
      id: "e17",
      code: "EVENT_INVALID_JSON",
      message: "unexpected end",
      path: "$.body",
      origin: { topic: "raw.acme", partition: 3, offset: "9007199254740993" },
      valueDropped: undefined,
    });
  });

  it("bounds the reason, and says why a letter lost its value", () => {
    const letter = deadLetterOf({ ...raw, headers: {} }, { code: "SQLIZER_PRODUCE_REFUSED", message: "x".repeat(5000) });
    const dropped = withoutValue(letter, `too large ${"y".repeat(5000)}`);
    expect(dropped.value).toBeNull();
    expect(dropped.key).toBe(raw.key);
    const read = readDeadLetter(consumed(dropped));
    expect(read?.message).toHaveLength(1000);
    expect(read?.valueDropped).toHaveLength(1000);
    expect(read?.valueDropped?.startsWith("too large")).toBe(true);
    expect(read?.id).toBeUndefined();
    expect(read?.path).toBeUndefined();
  });

  it("is not read from a message without an error code", () => {
    expect(readDeadLetter({ headers: { [HEADERS.id]: Buffer.from("e1") } })).toBeUndefined();
  });
});
