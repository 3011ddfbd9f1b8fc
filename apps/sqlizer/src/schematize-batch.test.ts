import { CodedError } from "@schematizer/errors";
import { HEADERS, type ConsumedMessage } from "@schematizer/kafka";
import { avroDecode, confluentFrame, emptySchema, mergeSchema, tableName, unmappedOf, type TableSchema } from "@schematizer/schema";
import { describe, expect, it } from "vitest";
import { schematizeBatch, type SchemaSource, type VersionRef } from "./schematize-batch.ts";

/** The registry's contract in memory: versions per table, merged with the real merge. */
function memorySource(options: { maxTables?: number; failWith?: Error } = {}) {
  const versions = new Map<string, VersionRef[]>();
  let nextId = 1;
  const source: SchemaSource = {
    async app(name) {
      if (name !== "acme") throw new CodedError("REGISTRY_UNKNOWN_APP", `no app ${name}`);
      return { settings: { dialect: "postgres", maxColumns: 1000 } };
    },
    async current(_app, entype, evname) {
      return versions.get(tableName(entype, evname, "postgres"))?.at(-1);
    },
    async evolve(_app, entype, evname, observed) {
      if (options.failWith) throw options.failWith;
      const table = tableName(entype, evname, "postgres");
      if (!versions.has(table) && versions.size >= (options.maxTables ?? 100)) {
        throw new CodedError("REGISTRY_TABLE_LIMIT", "the app already has as many tables as allowed");
      }
      const history = versions.get(table) ?? [];
      const current = history.at(-1)?.schema ?? emptySchema(table, "postgres");
      const merged = mergeSchema(current, observed);
      if (!merged.changed && history.length > 0) return { version: history.at(-1)!, created: false };
      const version = { id: nextId++, schema: { ...merged.schema, version: history.length + 1 } };
      versions.set(table, [...history, version]);
      return { version, created: true };
    },
  };
  return { source, versions };
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
    expect(out.rows.map((r) => r.key)).toEqual(["_e_user__pass_mission", "_e_user__pass_mission", "_e_user__login"]);

    const first = decode(out.rows[0]!.value, versions);
    expect(first.named).toMatchObject({ _sz_id: "e1", level: 7, mission_name: "caverns", is_premium: false, _sz_version: 1 });
    expect(first.named._sz_received_at).toBe(1_420_072_300_000_000);
    expect(typeOf(first.version.schema, "level")).toBe("bigint");
    const login = decode(out.rows[2]!.value, versions);
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
    expect(out.rows.map((r) => decode(r.value, versions).named.points)).toEqual([2, 2.5, 3]);
    expect(out.rows.map((r) => decode(r.value, versions).named._sz_version)).toEqual([2, 2, 2]);
  });

  it("widens a number column to varchar when a string arrives, keeping every value", async () => {
    const { source, versions } = memorySource();
    await schematizeBatch("acme", [raw(ev("tag", { code: 12 }))], source);
    const out = await schematizeBatch("acme", [raw(ev("tag", { code: "A7" })), raw(ev("tag", { code: 13 }))], source);
    const rows = out.rows.map((r) => decode(r.value, versions));
    expect(typeOf(rows[0]!.version.schema, "code")).toBe("varchar");
    expect(rows.map((r) => r.named.code)).toEqual(["A7", "13"]);
  });

  it("keeps a value that has no place in _sz_unmapped, with its reason", async () => {
    const { source, versions } = memorySource();
    const out = await schematizeBatch("acme", [raw(ev("note", { text: "a\u0000b" }))], source);
    const { version, row } = decode(out.rows[0]!.value, versions);
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

  it("throws what a retry can fix, so the batch is read again", async () => {
    const { source } = memorySource({ failWith: new CodedError("REGISTRY_CONFLICT", "lost every race", { retriable: true }) });
    await expect(schematizeBatch("acme", [raw(ev("a", { x: 1 }))], source)).rejects.toMatchObject({ code: "REGISTRY_CONFLICT" });
    const down = memorySource({ failWith: new Error("connect ECONNREFUSED") });
    await expect(schematizeBatch("acme", [raw(ev("a", { x: 1 }))], down.source)).rejects.toThrow("ECONNREFUSED");
  });
});
