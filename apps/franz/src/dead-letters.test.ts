import { deadLetterOf, HEADERS, withoutValue } from "@schematizer/contracts";
import type { ConsumedMessage } from "@schematizer/kafka";
import { describe, expect, it } from "vitest";
import { excerptOf, formatLetter, letterMatches, orderCounts, parseSince, redriveMessage, viewDeadLetter } from "./dead-letters.ts";

const RECEIVED = 1_714_564_800_000; // 2024-05-01T12:00:00Z
const EVENT = '{"id":"e17","ts":"2024-05-01T12:00:00Z","entype":"user","evname":"Log Out","body":{"n":1}}';

/** A raw message as event-sink writes it, then its dead letter as the sqlizer writes it and a consumer reads it back. */
function letter(options: { value?: string | null; headers?: Record<string, string>; reason?: { code: string; message: string; path?: string }; dropped?: string } = {}): ConsumedMessage {
  const raw = {
    topic: "raw.acme",
    partition: 1,
    offset: "42",
    key: Buffer.from("u1"),
    value: options.value === null ? null : Buffer.from(options.value ?? EVENT),
    headers: Object.fromEntries(Object.entries(options.headers ?? { [HEADERS.id]: "e17", [HEADERS.receivedAt]: String(RECEIVED) }).map(([k, v]) => [k, Buffer.from(v)])),
  };
  let dead = deadLetterOf(raw, options.reason ?? { code: "REGISTRY_TABLE_LIMIT", message: "app acme already has 1 tables, its limit", path: "$.evname" });
  if (options.dropped !== undefined) dead = withoutValue(dead, options.dropped);
  return {
    topic: "dlq.acme",
    partition: 0,
    offset: "5",
    key: dead.key,
    value: dead.value,
    headers: Object.fromEntries(Object.entries(dead.headers).map(([k, v]) => [k, Buffer.from(v)])),
    timestamp: RECEIVED + 3_000,
  };
}

describe("viewDeadLetter", () => {
  it("says the event's id, reason, received time, table and first characters", () => {
    expect(viewDeadLetter(letter(), "postgres")).toEqual({
      partition: 0,
      offset: "5",
      id: "e17",
      reason: "REGISTRY_TABLE_LIMIT",
      message: "app acme already has 1 tables, its limit",
      path: "$.evname",
      receivedAt: new Date(RECEIVED),
      table: "_e_user__log_out",
      excerpt: EVENT,
      origin: { topic: "raw.acme", partition: 1, offset: "42" },
      valueDropped: undefined,
    });
  });

  it("gives an event without event-sink's headers the id and time the sqlizer would: its own id, else its place; the letter's time", () => {
    const own = viewDeadLetter(letter({ headers: {} }), "postgres")!;
    expect([own.id, own.receivedAt]).toEqual(["e17", new Date(RECEIVED + 3_000)]);
    expect(viewDeadLetter(letter({ headers: {}, value: "{not json" }), "postgres")!.id).toBe("raw.acme/1/42");
  });

  it("names no table for an event that is not an envelope, and says why a letter has no bytes", () => {
    const broken = viewDeadLetter(letter({ value: "[1,2]", reason: { code: "ENVELOPE_NOT_OBJECT", message: "not an object" } }), "postgres")!;
    expect([broken.table, broken.path]).toEqual([undefined, undefined]);
    const dropped = viewDeadLetter(letter({ dropped: "the record is too large" }), "postgres")!;
    expect([dropped.excerpt, dropped.valueDropped, dropped.table]).toEqual(["(not kept: the record is too large)", "the record is too large", undefined]);
  });

  it("is undefined for a message that is not a dead letter", () => {
    expect(viewDeadLetter({ ...letter(), headers: {} }, "postgres")).toBeUndefined();
  });
});

describe("redriveMessage", () => {
  it("is the raw message event-sink wrote: key, bytes and headers, without the letter's own, marked as resent by a redrive", () => {
    const message = letter({ headers: { [HEADERS.id]: "e17", [HEADERS.receivedAt]: String(RECEIVED), traceparent: "00-abc" } });
    const redriven = redriveMessage(message, viewDeadLetter(message, "postgres")!)!;
    expect(redriven.key?.toString()).toBe("u1");
    expect(redriven.value?.toString()).toBe(EVENT);
    expect(Object.fromEntries(Object.entries(redriven.headers!).map(([k, v]) => [k, v.toString()]))).toEqual({
      [HEADERS.id]: "e17",
      [HEADERS.receivedAt]: String(RECEIVED),
      traceparent: "00-abc",
      [HEADERS.resent]: "redrive",
    });
  });

  it("writes the id and received time the sqlizer gave an event that came without them, so it stays the same row", () => {
    const message = letter({ headers: {}, value: '{"ts":0,"entype":"a","evname":"b","body":{}}' });
    const headers = redriveMessage(message, viewDeadLetter(message, "postgres")!)!.headers!;
    expect([headers[HEADERS.id], headers[HEADERS.receivedAt]]).toEqual(["raw.acme/1/42", String(RECEIVED + 3_000)]);
  });

  it("is undefined for a letter without its value", () => {
    const message = letter({ dropped: "too large" });
    expect(redriveMessage(message, viewDeadLetter(message, "postgres")!)).toBeUndefined();
  });
});

describe("picking letters", () => {
  const view = viewDeadLetter(letter(), "postgres")!;

  it("takes a reason or a reason prefix, a time, and ids, all of them together", () => {
    expect(letterMatches(view, {})).toBe(true);
    expect(letterMatches(view, { reason: "REGISTRY_TABLE_LIMIT" })).toBe(true);
    expect(letterMatches(view, { reason: "REGISTRY_*" })).toBe(true);
    expect(letterMatches(view, { reason: "REGISTRY" })).toBe(false);
    expect(letterMatches(view, { since: new Date(RECEIVED) })).toBe(true);
    expect(letterMatches(view, { since: new Date(RECEIVED + 1) })).toBe(false);
    expect(letterMatches(view, { ids: new Set(["e17", "e18"]) })).toBe(true);
    expect(letterMatches(view, { ids: new Set(["e18"]), reason: "REGISTRY_*" })).toBe(false);
  });

  it("reads --since as an ISO time or a while ago, and refuses anything else with a code", () => {
    const now = new Date(RECEIVED);
    expect(parseSince("2h", now)).toEqual(new Date(RECEIVED - 7_200_000));
    expect(parseSince("90s", now)).toEqual(new Date(RECEIVED - 90_000));
    expect(parseSince("7d", now)).toEqual(new Date(RECEIVED - 7 * 86_400_000));
    expect(parseSince("2024-05-01T11:00:00Z", now)).toEqual(new Date(RECEIVED - 3_600_000));
    expect(parseSince("2024-05-01", now)).toEqual(new Date("2024-05-01T00:00:00Z"));
    for (const bad of ["yesterday", "2h ago", "-1h", "12", ""]) expect(() => parseSince(bad, now), bad).toThrow(expect.objectContaining({ code: "FRANZ_BAD_REQUEST" }));
    expect(() => parseSince("soon", now, "--from")).toThrow(/^--from takes/);
  });
});

describe("showing letters", () => {
  it("cuts an excerpt on a character boundary, on one line", () => {
    expect(excerptOf('{"a":"x\ny\u0001"}')).toBe('{"a":"x\\ny\\u0001"}');
    expect(excerptOf("é😀abc", 2)).toBe("é😀…");
    expect(excerptOf("abc", 3)).toBe("abc");
  });

  it("orders counts by frequency, then by reason", () => {
    expect(Object.entries(orderCounts(new Map([["B", 1], ["C", 2], ["A", 1]])))).toEqual([["C", 2], ["A", 1], ["B", 1]]);
  });

  it("prints a letter in three lines", () => {
    expect(formatLetter(viewDeadLetter(letter(), "postgres")!).split("\n")).toEqual([
      "e17  REGISTRY_TABLE_LIMIT  received 2024-05-01T12:00:00.000Z  table _e_user__log_out  (dlq 0/5)",
      "  app acme already has 1 tables, its limit at $.evname",
      `  ${EVENT}`,
    ]);
  });
});
