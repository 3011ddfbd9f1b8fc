import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { archiveHour, archiveKey, archiveLine, readArchiveLine, type ArchivedEvent } from "./raw-archive.ts";

const event = (over: Partial<ArchivedEvent> = {}): ArchivedEvent => ({
  id: "e1",
  app: "acme",
  receivedAtMs: Date.parse("2026-12-01T21:07:00.123Z"),
  topic: "raw.acme",
  partition: 3,
  offset: "18446744073709551615",
  key: Buffer.from("u1"),
  value: Buffer.from('{"ts":"2026-12-01T21:07:00Z","entype":"user","evname":"login","body":{"n":12345678901234567890}}'),
  ...over,
});

describe("the raw archive's lines", () => {
  it("keep the event's exact text, pretty-printed or with NUL, on one line", () => {
    const value = Buffer.from('{\n  "entype": "user",\n  "evname": "a\\u0000b",\n  "big": 12345678901234567890\n}');
    const line = archiveLine(event({ value }));
    expect(line.endsWith("\n")).toBe(true);
    expect(line.slice(0, -1)).not.toContain("\n");
    const back = readArchiveLine(line);
    expect(back.ok && back.event.value.equals(value)).toBe(true);
  });

  it("keep bytes that are not UTF-8 as base64, and a missing key as null", () => {
    const value = Buffer.from([0x7b, 0xff, 0xfe, 0x7d]);
    const line = archiveLine(event({ value, key: null }));
    expect(JSON.parse(line)).toMatchObject({ key: null, event_base64: value.toString("base64") });
    const back = readArchiveLine(line);
    expect(back).toEqual({ ok: true, event: event({ value, key: null }) });
  });

  it("read back every event they were written from", () => {
    fc.assert(
      fc.property(
        fc.record({
          id: fc.string({ minLength: 1 }),
          app: fc.stringMatching(/^[a-z][a-z0-9_]{0,20}$/),
          receivedAtMs: fc.integer({ min: 0, max: 4_102_444_800_000 }),
          partition: fc.nat(1000),
          offset: fc.bigInt({ min: 0n, max: 2n ** 63n - 1n }).map(String),
          key: fc.option(fc.uint8Array({ maxLength: 20 }).map((b) => Buffer.from(b))),
          value: fc.oneof(fc.string().map((s) => Buffer.from(s, "utf8")), fc.uint8Array({ maxLength: 50 }).map((b) => Buffer.from(b))),
        }),
        (e) => {
          const written: ArchivedEvent = { ...e, topic: `raw.${e.app}` };
          const back = readArchiveLine(archiveLine(written));
          expect(back).toEqual({ ok: true, event: written });
        },
      ),
    );
  });

  it("escape an event's text exactly as JSON.stringify does", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme" }), fc.string({ unit: "binary-ascii" }), (text, ascii) => {
        for (const s of [text, ascii]) {
          const line = archiveLine(event({ value: Buffer.from(s, "utf8"), key: Buffer.from(s, "utf8") }));
          expect(line.endsWith(`"key":${JSON.stringify(s)},"event":${JSON.stringify(s)}}\n`)).toBe(true);
        }
      }),
    );
  });

  it("say why a line is not one", () => {
    expect(readArchiveLine("{")).toMatchObject({ ok: false });
    expect(readArchiveLine('{"id":"e1"}')).toEqual({ ok: false, reason: "no app, topic, partition or offset" });
  });
});

describe("the raw archive's keys", () => {
  it("file events under the hour they were received, by app", () => {
    const hourMs = archiveHour(Date.parse("2026-12-01T21:59:59.999Z"));
    expect(new Date(hourMs).toISOString()).toBe("2026-12-01T21:00:00.000Z");
    expect(archiveKey({ app: "acme", hourMs, topic: "raw.acme", partition: 3, first: "100", last: "199" })).toBe("raw/acme/2026/12/01/21/raw.acme+3+100-199.ndjson.gz");
  });
});
