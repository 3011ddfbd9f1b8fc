import { archiveLine, HEADERS, type ArchivedEvent } from "@schematizer/contracts";
import { DEFAULT_LIMITS } from "@schematizer/schema";
import { describe, expect, it } from "vitest";
import { reasonKind, readReplayLine, replayFate, replayMessage, replayWindow } from "./replay-selection.ts";

const AT = Date.parse("2024-05-01T12:00:00Z");
const event = (over: Partial<ArchivedEvent> = {}): ArchivedEvent => ({
  id: "e1",
  app: "acme",
  receivedAtMs: AT,
  topic: "raw.acme",
  partition: 0,
  offset: "7",
  key: Buffer.from("u1"),
  value: Buffer.from('{"ts":"2024-05-01T12:00:00Z","entype":"user","evname":"login","body":{"n":1}}'),
  ...over,
});

describe("replayWindow", () => {
  const now = new Date(AT);

  it("reads --from and --to as ISO times or a while ago", () => {
    expect(replayWindow("3h", "2024-05-01T11:00:00Z", now)).toEqual({ fromMs: AT - 3 * 3_600_000, toMs: AT - 3_600_000 });
    expect(replayWindow("2024-05-01", "0s", now)).toEqual({ fromMs: Date.parse("2024-05-01T00:00:00Z"), toMs: AT });
  });

  it("refuses a missing bound, an unreadable one naming its option, and an empty window, with FRANZ_BAD_REQUEST", () => {
    const code = expect.objectContaining({ code: "FRANZ_BAD_REQUEST" });
    expect(() => replayWindow(undefined, "1h", now)).toThrow(code);
    expect(() => replayWindow("1h", undefined, now)).toThrow(code);
    expect(() => replayWindow("yesterday", "1h", now)).toThrow(/^--from takes/);
    expect(() => replayWindow("2h", "later", now)).toThrow(/^--to takes/);
    expect(() => replayWindow("1h", "1h", now)).toThrow(code);
    expect(() => replayWindow("1h", "2h", now)).toThrow(/--from must be before --to/);
  });
});

describe("replayFate", () => {
  const window = { fromMs: AT, toMs: AT + 1000 };

  it("takes events received from --from, up to but not including --to", () => {
    expect(replayFate(event(), window, {}, DEFAULT_LIMITS)).toBe("replay");
    expect(replayFate(event({ receivedAtMs: AT + 999 }), window, {}, DEFAULT_LIMITS)).toBe("replay");
    expect(replayFate(event({ receivedAtMs: AT - 1 }), window, {}, DEFAULT_LIMITS)).toBe("outside_window");
    expect(replayFate(event({ receivedAtMs: AT + 1000 }), window, {}, DEFAULT_LIMITS)).toBe("outside_window");
  });

  it("with --entype/--evname, takes only the events that parse to that table", () => {
    expect(replayFate(event(), window, { entype: "user", evname: "login" }, DEFAULT_LIMITS)).toBe("replay");
    expect(replayFate(event(), window, { entype: "user" }, DEFAULT_LIMITS)).toBe("replay");
    expect(replayFate(event(), window, { evname: "logout" }, DEFAULT_LIMITS)).toBe("not_matching");
    expect(replayFate(event(), window, { entype: "page", evname: "login" }, DEFAULT_LIMITS)).toBe("not_matching");
    // Names alike in JSON but not an envelope the sqlizer places: no table.
    const unplaced = event({ value: Buffer.from('{"entype":"user","evname":"login","body":{}}') });
    expect(replayFate(unplaced, window, { entype: "user" }, DEFAULT_LIMITS)).toBe("not_matching");
    expect(replayFate(unplaced, window, {}, DEFAULT_LIMITS)).toBe("replay");
    // The sqlizer's limits: an event too deep for them is no row of the table.
    expect(replayFate(event(), window, { entype: "user" }, { ...DEFAULT_LIMITS, maxDepth: 0 })).toBe("not_matching");
  });
});

describe("replayMessage", () => {
  it("is the event's key and exact bytes, with its id and received time, marked as resent by a replay", () => {
    const value = Buffer.from('{ "ts": 1, "entype":"user","evname":"login","body":{"big":123456789012345678901234567890} }');
    expect(replayMessage(event({ value }))).toEqual({
      key: Buffer.from("u1"),
      value,
      headers: { [HEADERS.id]: "e1", [HEADERS.receivedAt]: String(AT), [HEADERS.resent]: "replay" },
    });
    expect(replayMessage(event({ key: null })).key).toBeNull();
  });
});

describe("readReplayLine", () => {
  it("reads an archive line of the app, and says why another cannot be replayed", () => {
    const e = event();
    expect(readReplayLine(archiveLine(e), "acme")).toEqual({ ok: true, event: e });
    expect(readReplayLine(archiveLine(event({ app: "other" })), "acme")).toEqual({ ok: false, reason: "another app's event: other" });
    expect(readReplayLine('{"id":"e1"', "acme")).toMatchObject({ ok: false, reason: expect.stringMatching(/^not JSON: /) });
    expect(readReplayLine("{}", "acme")).toEqual({ ok: false, reason: "no id" });
  });

  it("counts a reason by its words before any detail", () => {
    expect(reasonKind("not JSON: Unexpected end of JSON input")).toBe("not JSON");
    expect(reasonKind("no id")).toBe("no id");
    expect(reasonKind("another app's event: other")).toBe("another app's event");
  });
});
