import { HEADERS, readArchiveLine } from "@schematizer/contracts";
import type { ConsumedMessage } from "@schematizer/kafka";
import { describe, expect, it } from "vitest";
import { ArchiveBuffer } from "./archive-buffer.ts";

const HOUR = Date.parse("2026-12-01T21:00:00Z");

function record(offset: number, value: string | null, headers: Record<string, string> = {}, timestamp = HOUR): ConsumedMessage {
  return {
    topic: "raw.acme",
    partition: 2,
    offset: String(offset),
    key: Buffer.from("u1"),
    value: value === null ? null : Buffer.from(value),
    headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, Buffer.from(v)])),
    timestamp,
  };
}

const lines = (range: ArchiveBuffer) =>
  range.files().map((f) =>
    f.ndjson
      .view()
      .toString("utf8")
      .split("\n")
      .filter((l) => l !== "")
      .map((l) => readArchiveLine(l))
      .map((r) => (r.ok ? r.event : r.reason)),
  );

describe("an archive range", () => {
  it("files each event under the hour it was received, with the id event-sink gave it", () => {
    const range = new ArchiveBuffer("acme", "raw.acme", 2, 10n);
    range.add(record(10, '{"a":1}', { [HEADERS.id]: "e10", [HEADERS.receivedAt]: String(HOUR - 1) }));
    range.add(record(11, '{"a":2}', { [HEADERS.id]: "e11", [HEADERS.receivedAt]: String(HOUR) }));
    range.add(record(12, '{"a":3}', { [HEADERS.id]: "e12", [HEADERS.receivedAt]: String(HOUR - 2) }));
    const files = range.files();
    expect(files.map((f) => [new Date(f.hourMs).toISOString(), f.first, f.last, f.events])).toEqual([
      ["2026-12-01T20:00:00.000Z", "10", "12", 2],
      ["2026-12-01T21:00:00.000Z", "11", "11", 1],
    ]);
    expect(files[0]!.oldestReceivedMs).toBe(HOUR - 2);
    expect(lines(range)[0]!.map((e) => (typeof e === "string" ? e : e.id))).toEqual(["e10", "e12"]);
    expect(range.events()).toBe(3);
  });

  it("skips what an operator sent again and records with no value, but covers their offsets", () => {
    const range = new ArchiveBuffer("acme", "raw.acme", 2, 0n);
    range.add(record(0, '{"a":1}', { [HEADERS.id]: "e0", [HEADERS.resent]: "replay" }));
    range.add(record(1, null));
    range.add(record(2, '{"a":1}', { [HEADERS.id]: "e2" }));
    expect(range.skipped).toEqual({ resent: 1, no_value: 1 });
    expect([range.records, range.events(), range.last]).toEqual([3, 1, "2"]);
  });

  it("names an event from elsewhere by its own id, or by where it sat, as the sqlizer does", () => {
    const range = new ArchiveBuffer("acme", "raw.acme", 2, 5n);
    range.add(record(5, '{"id":"own-1","ts":"2026-12-01T21:00:00Z","entype":"user","evname":"login","body":{}}'));
    range.add(record(6, "not json"));
    expect(lines(range)[0]!.map((e) => (typeof e === "string" ? e : [e.id, e.receivedAtMs]))).toEqual([
      ["own-1", HOUR],
      ["raw.acme/2/6", HOUR],
    ]);
  });
});
