import { CodedError } from "@schematizer/errors";
import { avroDecode, confluentFrame, HEADERS } from "@schematizer/contracts";
import type { ConsumedMessage } from "@schematizer/kafka";
import { emptySchema, mergeSchema, tableName, unmappedOf, type Dialect, type ObservedRow, type TableSchema } from "@schematizer/schema";
import { describe, expect, it } from "vitest";
import { schematizeBatch as schematize, type SchemaSource, type SchematizeOptions, type VersionRef } from "./schematize-batch.ts";

/** The registry answers; backoff short enough for a unit test. */
const answering: SchematizeOptions = { settle: { probe: async () => true, maxRepeats: 3, baseDelayMs: 1, maxDelayMs: 2 }, maxRowBytes: 1_000_000 };
const schematizeBatch = (app: string, messages: ConsumedMessage[], source: SchemaSource, options = answering) => schematize(app, messages, source, options);

/** The registry's contract in memory: versions per table, merged with the real merge. */
function memorySource(options: { maxTables?: number; failWith?: (observed: ObservedRow) => Error | undefined; dialect?: Dialect } = {}) {
  const dialect = options.dialect ?? "postgres";
  const versions = new Map<string, VersionRef[]>();
  let nextId = 1;
  let evolves = 0;
  const source: SchemaSource = {
    async app(name) {
      if (name !== "acme") throw new CodedError("REGISTRY_UNKNOWN_APP", `no app ${name}`);
      return { settings: { dialect, maxColumns: 1000 } };
    },
    async current(_app, entype, evname) {
      return versions.get(tableName(entype, evname, dialect))?.at(-1);
    },
    async evolve(_app, entype, evname, observed) {
      evolves++;
      const failure = options.failWith?.(observed);
      if (failure) throw failure;
      const table = tableName(entype, evname, dialect);
      if (!versions.has(table) && versions.size >= (options.maxTables ?? 100)) {
        throw new CodedError("REGISTRY_TABLE_LIMIT", "the app already has as many tables as allowed");
      }
      const history = versions.get(table) ?? [];
      const current = history.at(-1)?.schema ?? emptySchema(table, dialect);
      const merged = mergeSchema(current, observed);
      if (!merged.changed && history.length > 0) return { version: history.at(-1)!, created: false };
      const version = { id: nextId++, schema: { ...merged.schema, version: history.length + 1 } };
      versions.set(table, [...history, version]);
      return { version, created: true };
    },
  };
  return { source, versions, evolves: () => evolves };
}

let offset = 0;
function raw(value: string | null, headers: Record<string, string> = {}): ConsumedMessage {
  return {
    topic: "raw.acme",
    partition: 0,
    offset: String(offset++),
    key: null,
    value: value === null ? null : Buffer.from(value),
    headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, Buffer.from(v)])),
    timestamp: 1_420_072_292_000,
  };
}

const ev = (evname: string, body: object, extra: object = {}) => JSON.stringify({ ts: "2015-01-01T00:31:32Z", entype: "user", evname, body, ...extra });

/** Decodes a produced row back through its Confluent frame: the schema id must name the version. */
function decode(value: Buffer | string | null, versions: Map<string, VersionRef[]>) {
  const frame = confluentFrame(value as Buffer)!;
  const version = [...versions.values()].flat().find((v) => v.id === frame.schemaId)!;
  const row = avroDecode(version.schema, frame.payload);
  const named = Object.fromEntries(version.schema.columns.map((c, i) => [c.name, row.values[i]]));
  return { version, row, named };
}

const typeOf = (schema: TableSchema, column: string) => schema.columns.find((c) => c.name === column)?.type;

describe("schematizeBatch", () => {
  it("places events of several tables in typed rows keyed by table, with id and received time from the headers", async () => {
    const { source, versions } = memorySource();
    const out = await schematizeBatch(
      "acme",
      [
        raw(ev("pass_mission", { level: 7, mission_name: "caverns", is_premium: false }), { [HEADERS.id]: "e1", [HEADERS.receivedAt]: "1420072300000" }),
        raw(ev("login", { device: { os: "ios" } }, { id: "own-id" })),
        raw(ev("pass_mission", { level: 8, mission_name: "peaks", is_premium: true }), { [HEADERS.id]: "e3" }),
      ],
      source,
    );
    expect(out.rejected).toEqual([]);
    expect(out.versionsCreated).toBe(2);
    expect(out.rows.map((r) => r.row.key)).toEqual(["_e_user__pass_mission", "_e_user__pass_mission", "_e_user__login"]);

    const first = decode(out.rows[0]!.row.value, versions);
    expect(first.named).toMatchObject({ _sz_id: "e1", level: 7, mission_name: "caverns", is_premium: false, _sz_version: 1 });
    expect(first.named._sz_received_at).toBe(1_420_072_300_000_000);
    expect(typeOf(first.version.schema, "level")).toBe("bigint");
    const login = decode(out.rows[2]!.row.value, versions);
    // Without event-sink's header, the event's own id is used.
    expect(login.named).toMatchObject({ _sz_id: "own-id", device__os: "ios" });
  });

  it("evolves a table once per batch, and encodes the whole batch against the new version", async () => {
    const { source, versions } = memorySource();
    await schematizeBatch("acme", [raw(ev("score", { points: 1 }))], source);
    const out = await schematizeBatch(
      "acme",
      [raw(ev("score", { points: 2 })), raw(ev("score", { points: 2.5 })), raw(ev("score", { points: 3, combo: true }))],
      source,
    );
    expect(out.versionsCreated).toBe(1);
    const history = versions.get("_e_user__score")!;
    expect(history.map((v) => v.schema.version)).toEqual([1, 2]);
    expect(typeOf(history[1]!.schema, "points")).toBe("double");
    expect(typeOf(history[1]!.schema, "combo")).toBe("boolean");
    expect(out.rows.map((r) => decode(r.row.value, versions).named.points)).toEqual([2, 2.5, 3]);
    expect(out.rows.map((r) => decode(r.row.value, versions).named._sz_version)).toEqual([2, 2, 2]);
  });

  it("widens a number column to varchar when a string arrives, keeping every value", async () => {
    const { source, versions } = memorySource();
    await schematizeBatch("acme", [raw(ev("tag", { code: 12 }))], source);
    const out = await schematizeBatch("acme", [raw(ev("tag", { code: "A7" })), raw(ev("tag", { code: 13 }))], source);
    const rows = out.rows.map((r) => decode(r.row.value, versions));
    expect(typeOf(rows[0]!.version.schema, "code")).toBe("varchar");
    expect(rows.map((r) => r.named.code)).toEqual(["A7", "13"]);
  });

  it("keeps a value that has no place in _sz_unmapped, with its reason", async () => {
    const { source, versions } = memorySource();
    const out = await schematizeBatch("acme", [raw(ev("note", { text: "a\u0000b" }))], source);
    const { version, row } = decode(out.rows[0]!.row.value, versions);
    expect(out.withUnmapped).toBe(1);
    expect(unmappedOf(version.schema, row)).toEqual([{ path: ["text"], reason: "invalid_text", value: "a\u0000b" }]);
  });

  it("rejects what cannot be placed, with a coded reason, and places the rest", async () => {
    const { source } = memorySource({ maxTables: 1 });
    const out = await schematizeBatch(
      "acme",
      [raw("{not json"), raw(null), raw(ev("", {})), raw(ev("first", { a: 1 })), raw(ev("second", { a: 1 }))],
      source,
    );
    expect(out.rows).toHaveLength(1);
    expect(out.rejected.map((r) => r.rejection.code)).toEqual([
      "EVENT_INVALID_JSON",
      "SQLIZER_EMPTY_MESSAGE",
      "ENVELOPE_FIELD_EMPTY",
      "REGISTRY_TABLE_LIMIT",
    ]);
    expect(out.rejected[2]!.rejection.path).toBe("$.evname");
  });

  it("rejects every event of an app the registry does not know", async () => {
    const { source } = memorySource();
    const out = await schematizeBatch("ghost", [raw(ev("a", {})), raw(ev("b", {}))], source);
    expect(out.rows).toEqual([]);
    expect(out.rejected.map((r) => r.rejection.code)).toEqual(["REGISTRY_UNKNOWN_APP", "REGISTRY_UNKNOWN_APP"]);
  });

  it("waits out a registry outage and then places every event: nothing is dead-lettered for an outage", async () => {
    let failures = 0;
    const { source } = memorySource({
      failWith: () => (++failures <= 6 ? Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:54329"), { code: "ECONNREFUSED" }) : undefined),
    });
    // The registry does not answer until the sixth failure: none of them counts against the events.
    const out = await schematize("acme", [raw(ev("a", { x: 1 })), raw(ev("a", { x: 2 }))], source, {
      ...answering,
      settle: { ...answering.settle, probe: async () => failures >= 6 },
    });
    expect(out.rejected).toEqual([]);
    expect(out.rows).toHaveLength(2);
    expect(failures).toBe(7);
  });

  it("pins an error of one event's content on that event, and places its table-mates", async () => {
    const refused = () => Object.assign(new Error("unsupported Unicode escape sequence"), { code: "22P05" });
    const { source, versions } = memorySource({ failWith: (observed) => (observed.fields.some((f) => f.path.includes("poison")) ? refused() : undefined) });
    const events = Array.from({ length: 9 }, (_, i) => raw(ev("mixed", i === 5 ? { poison: 1, n: i } : { n: i }), { [HEADERS.id]: `e${i}` }));
    const out = await schematizeBatch("acme", events, source);
    expect(out.rejected.map((r) => [r.message.offset, r.rejection.code])).toEqual([[events[5]!.offset, "SQLIZER_REGISTRY_REFUSED"]]);
    expect(out.rejected[0]!.rejection.message).toContain("22P05");
    expect(out.rows.map((r) => decode(r.row.value, versions).named._sz_id).sort()).toEqual(["e0", "e1", "e2", "e3", "e4", "e6", "e7", "e8"]);
  });

  it("takes a failure that repeats while the registry answers as the events' own, after a bounded number of attempts", async () => {
    const { source, evolves } = memorySource({ failWith: () => new CodedError("REGISTRY_CONFLICT", "lost every race", { retriable: true }) });
    const out = await schematizeBatch("acme", [raw(ev("a", { x: 1 })), raw(ev("a", { x: 2 }))], source);
    expect(out.rows).toEqual([]);
    expect(out.rejected.map((r) => r.rejection.code)).toEqual(["REGISTRY_CONFLICT", "REGISTRY_CONFLICT"]);
    // 3 on the pair, then 1 on each half: the halves are not backed off again.
    expect(evolves()).toBe(5);
  });

  it("rejects a table the registry refuses as a whole in one call, without splitting it", async () => {
    const { source, evolves } = memorySource({ maxTables: 0 });
    const out = await schematizeBatch("acme", Array.from({ length: 64 }, (_, i) => raw(ev("late", { i }))), source);
    expect(out.rejected).toHaveLength(64);
    expect(new Set(out.rejected.map((r) => r.rejection.code))).toEqual(new Set(["REGISTRY_TABLE_LIMIT"]));
    expect(evolves()).toBe(1);
  });

  it("dead-letters an event whose typed row a sql record could not hold, and places the others", async () => {
    const { source } = memorySource();
    const out = await schematize("acme", [raw(ev("doc", { text: "x".repeat(5_000) })), raw(ev("doc", { text: "short" }))], source, { ...answering, maxRowBytes: 2_000 });
    expect(out.rows).toHaveLength(1);
    expect(out.rejected.map((r) => r.rejection.code)).toEqual(["SQLIZER_ROW_TOO_LARGE"]);
  });

  it("dead-letters an event whose row its warehouse cannot hold even with values in _sz_unmapped, with the core's code", async () => {
    const { source } = memorySource({ dialect: "redshift" });
    // Redshift's _sz_unmapped is a VARCHAR(65535): a 70,000-byte string has no place at all.
    const out = await schematizeBatch("acme", [raw(ev("doc", { text: "x".repeat(70_000) })), raw(ev("doc", { text: "fits" }))], source);
    expect(out.rows).toHaveLength(1);
    expect(out.rejected.map((r) => [r.rejection.code, r.rejection.path])).toEqual([["EVENT_ROW_TOO_LARGE", "$.body"]]);
  });

  it("gives the batch back, deciding nothing, when stopped during an outage", async () => {
    const { source } = memorySource({ failWith: () => Object.assign(new Error("Connection terminated unexpectedly"), { code: undefined }) });
    const stop = new AbortController();
    const running = schematize("acme", [raw(ev("a", { x: 1 }))], source, {
      ...answering,
      settle: { ...answering.settle, probe: async () => false, baseDelayMs: 50, signal: stop.signal },
    });
    setTimeout(() => stop.abort(), 20);
    await expect(running).rejects.toThrow("Connection terminated");
  });
});
