import { avroDecode, avroEncode } from "@schematizer/contracts";
import { bodyPath, coerce, columnForPath, observe, type JsonObject } from "@schematizer/schema";
import { test } from "@schematizer/testing";
import Fastify from "fastify";
import { Kysely, Migrator, PostgresDialect, sql } from "kysely";
import { describe, expect } from "vitest";
import { confluentApi } from "./confluent-api.ts";
import { migrateRegistry, registryMigrations } from "./migrations.ts";
import { openRegistry } from "./registry.ts";

/** Keys a client may send that Postgres jsonb refuses (NUL, lone surrogates) or that look odd. */
const ODD_KEYS = ["a\u0000b", "\u0000", "\ud800", "\udfff x", "\u202e", "😀", "x\ud83d"];

describe("event kinds: one table per normalized name", () => {
  test("spellings that normalize alike share one table, also when two writers race", async ({ db }) => {
    const a = await openRegistry({ pool: db.pool, schema: db.schema, createdBy: "a" });
    const b = await openRegistry({ pool: db.pool, schema: db.schema, createdBy: "b" });
    await a.apps.createApp("acme");
    const kinds: [string, string, JsonObject][] = [
      ["User", "Pass Mission", { level: 1 }],
      ["user", "pass_mission", { score: 2.5 }],
      ["USER", "pass-mission", { name: "x" }],
      ["user", "passMission", { ok: true }],
    ];
    const results = await Promise.all(
      kinds.flatMap(([entype, evname, body]) => [a, b].map((r) => r.evolve("acme", entype, evname, observe(body)))),
    );
    expect(new Set(results.map((r) => r.version.table))).toEqual(new Set(["_e_user__pass_mission"]));
    expect((await a.listTables("acme")).map((t) => t.name)).toEqual(["_e_user__pass_mission"]);
    const latest = await a.version("acme", "_e_user__pass_mission", "latest");
    expect(latest?.schema.columns.map((c) => c.name)).toEqual(expect.arrayContaining(["level", "score", "name", "ok"]));
  });

  test("names the envelope refuses give a coded, non-retriable error and create nothing", async ({ db }) => {
    const registry = await openRegistry({ pool: db.pool, schema: db.schema });
    await registry.apps.createApp("acme");
    // First events of the app: no table exists yet, so a raw NUL would reach tables.entype.
    const refused: [string, string][] = [
      ["user\u0000", "login"],
      ["user", "\u0000"],
      ["user\u200b", "login"],
      ["\ufeffuser", "login"],
      ["user", "login "],
      [" user", "login"],
      ["\ud800user", "login"],
      ["us\u202eer", "login"],
      ["user", "log\u0007in"],
    ];
    for (const [entype, evname] of refused) {
      await expect(registry.evolve("acme", entype, evname, observe({ a: 1 })), JSON.stringify([entype, evname])).rejects.toMatchObject({
        code: "REGISTRY_INVALID_EVENT_NAME",
        retriable: false,
      });
      await expect(registry.current("acme", entype, evname)).rejects.toMatchObject({ code: "REGISTRY_INVALID_EVENT_NAME" });
    }
    expect(await registry.listTables("acme")).toEqual([]);
    // Plain names keep working, and a look-alike of an existing name is still refused.
    expect((await registry.evolve("acme", "user", "login", observe({ a: 1 }))).version.table).toBe("_e_user__login");
    await expect(registry.evolve("acme", "user\u200b", "login", observe({ a: 1 }))).rejects.toMatchObject({
      code: "REGISTRY_INVALID_EVENT_NAME",
    });
    expect((await registry.listTables("acme")).map((t) => [t.entype, t.evname])).toEqual([["user", "login"]]);
  });

  test("lookups by names no table can have answer 'none', never a database error", async ({ db }) => {
    const registry = await openRegistry({ pool: db.pool, schema: db.schema });
    await registry.apps.createApp("acme");
    expect(await registry.version("acme", "_e_a\u0000b", "latest")).toBeUndefined();
    expect(await registry.lineage("acme", "_e_a\u0000b")).toBeUndefined();
    await expect(registry.app("ac\u0000me")).rejects.toMatchObject({ code: "REGISTRY_UNKNOWN_APP" });
    expect(await registry.apps.getApp("ac\u0000me")).toBeUndefined();
    await expect(registry.apps.rotateKey("ac\u0000me")).rejects.toMatchObject({ code: "REGISTRY_UNKNOWN_APP" });
    await expect(registry.apps.disableApp("ac\u0000me")).rejects.toMatchObject({ code: "REGISTRY_UNKNOWN_APP" });
  });
});

describe("key paths: whatever the registry accepted, it stores and reads back equal", () => {
  test("keys with NUL, lone surrogates, bidi marks and emoji evolve, and every reader gets them back", async ({ db }) => {
    const registry = await openRegistry({ pool: db.pool, schema: db.schema });
    await registry.apps.createApp("acme");
    const paths: string[][] = [...ODD_KEYS.map((k) => [k]), ["\ud800", "in\u0000ner"]];
    let last;
    for (const path of paths) {
      const body: JsonObject = path.length === 1 ? { [path[0]!]: 1 } : { [path[0]!]: { [path[1]!]: 1 } };
      last = (await registry.evolve("acme", "user", "keys", observe(body))).version;
    }
    expect(last?.version).toBe(paths.length);

    const fresh = await openRegistry({ pool: db.pool, schema: db.schema });
    const reads = [
      await fresh.schemaById(last!.id),
      await fresh.version("acme", "_e_user__keys", last!.version),
      await fresh.version("acme", "_e_user__keys", "latest"),
      await fresh.current("acme", "user", "keys"),
    ];
    for (const read of reads) {
      expect(read?.schema).toEqual(last!.schema);
      for (const path of paths) expect(columnForPath(read!.schema, path), JSON.stringify(path)).toBeDefined();
    }
    const lineage = await fresh.lineage("acme", "_e_user__keys");
    expect(lineage?.versions.map((v) => v.diff.added.flatMap((c) => c.sources))).toEqual(paths.map((p) => [p]));
    expect(lineage?.versions.map((v) => v.changes[0])).toEqual(
      paths.map((p) => expect.stringContaining(`from ${bodyPath(p)}`) as unknown),
    );

    // The version read back places each value in its column, and rows round-trip through Avro.
    const schema = reads[1]!.schema;
    for (const path of paths) {
      const body: JsonObject = path.length === 1 ? { [path[0]!]: 7 } : { [path[0]!]: { [path[1]!]: 7 } };
      const { row, unmapped } = coerce(schema, { ts: 0, entype: "user", evname: "keys", body }, { id: "e", receivedAt: 0 });
      expect(unmapped).toBe(0);
      expect(row.values[schema.columns.indexOf(columnForPath(schema, path)!)]).toBe(7);
      expect(avroDecode(schema, avroEncode(schema, row)).values).toEqual(row.values);
    }
  });

  test("the Confluent API serves such versions, and answers names Postgres cannot store with coded errors", async ({ db }) => {
    const registry = await openRegistry({ pool: db.pool, schema: db.schema });
    await registry.apps.createApp("acme");
    const body = Object.fromEntries(ODD_KEYS.map((k, i) => [k, i]));
    const { version } = await registry.evolve("acme", "user", "keys", observe(body));
    const app = Fastify();
    await app.register(confluentApi, { subjects: registry.subjects });
    try {
      const byId = await app.inject({ method: "GET", url: `/schemas/ids/${version.id}` });
      expect(byId.statusCode).toBe(200);
      const served = JSON.parse((byId.json() as { schema: string }).schema) as { fields: { doc?: string }[] };
      expect(served).toEqual(version.avro);
      const docs = served.fields.map((f) => f.doc).filter((d) => d !== undefined);
      expect(docs.sort()).toEqual(ODD_KEYS.map((k) => bodyPath([k])).sort());

      const subject = encodeURIComponent(version.subject);
      const latest = await app.inject({ method: "GET", url: `/subjects/${subject}/versions/latest` });
      expect(latest.json()).toMatchObject({ id: version.id, version: 1 });

      const notFound = await app.inject({ method: "GET", url: "/subjects/a%00b/versions" });
      expect([notFound.statusCode, notFound.json()]).toEqual([404, expect.objectContaining({ error_code: 40401 })]);
      const config = await app.inject({ method: "GET", url: "/config/a%00b" });
      expect(config.statusCode).toBe(404);
      const register = await app.inject({
        method: "POST",
        url: "/subjects/a%00b/versions",
        headers: { "content-type": "application/json" },
        payload: { schema: '"string"' },
      });
      expect([register.statusCode, register.json()]).toEqual([400, expect.objectContaining({ error_code: 400 })]);
      const setLevel = await app.inject({
        method: "PUT",
        url: "/config/a%00b",
        headers: { "content-type": "application/json" },
        payload: { compatibility: "FULL" },
      });
      expect(setLevel.statusCode).toBe(400);
      expect((await app.inject({ method: "GET", url: "/subjects?subjectPrefix=a%00" })).json()).toEqual([]);
    } finally {
      await app.close();
    }
  });

  test("a registry created before 0002 keeps its history through the migration", async ({ db }) => {
    const kysely = new Kysely<unknown>({ dialect: new PostgresDialect({ pool: db.pool }) });
    const first = registryMigrations(db.schema)["0001_registry"]!;
    const migrator = new Migrator({
      db: kysely,
      provider: { getMigrations: () => Promise.resolve({ "0001_registry": first }) },
      migrationTableSchema: db.schema,
      migrationTableName: "migrations",
      migrationLockTableName: "migrations_lock",
    });
    expect((await migrator.migrateToLatest()).error).toBeUndefined();
    const registry = await openRegistry({ pool: db.pool, schema: db.schema, migrate: false });
    // The app as 0001 stored it (the app store may read columns later migrations add).
    await db.pool.query(
      `INSERT INTO apps (name, key_hash, dialect, max_columns, max_tables) VALUES ('acme', decode(repeat('00', 32), 'hex'), 'postgres', 1000, 1000)`,
    );
    // The old column type: a version written as 0001 stored it.
    const types = async () =>
      (await sql<{ type: string }>`SELECT data_type AS type FROM information_schema.columns WHERE table_schema = ${db.schema} AND table_name = 'schema_versions' AND column_name IN ('columns', 'diff')`.execute(kysely)).rows.map((r) => r.type);
    expect(await types()).toEqual(["jsonb", "jsonb"]);
    const before = (await registry.evolve("acme", "user", "login", observe({ level: 1, "é t": "x" }))).version;

    await migrateRegistry(kysely, db.schema);
    expect(await types()).toEqual(["json", "json"]);
    const after = await (await openRegistry({ pool: db.pool, schema: db.schema })).schemaById(before.id);
    expect(after?.schema).toEqual(before.schema);
    expect(after?.diff).toEqual(before.diff);
  });
});
