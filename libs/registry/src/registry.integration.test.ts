import { observe } from "@schematizer/schema";
import { test } from "@schematizer/testing";
import { describe, expect } from "vitest";
import { registryMigrations } from "./migrations.ts";
import { openRegistry } from "./registry.ts";

describe("apps", () => {
  test("a created app authenticates with its key, and only with it", async ({ db }) => {
    const registry = await openRegistry({ pool: db.pool, schema: db.schema });
    const { app, key } = await registry.apps.createApp("acme", { dialect: "redshift", maxColumns: 500 });
    expect(app).toMatchObject({ name: "acme", disabled: false, settings: { dialect: "redshift", maxColumns: 500 } });
    expect(key).toMatch(/^szk_[A-Za-z0-9_-]{43}$/);

    expect(await registry.apps.authenticate("acme", key)).toBe("ok");
    expect(await registry.apps.authenticate("acme", `${key}x`)).toBe("wrong_key");
    expect(await registry.apps.authenticate("globex", key)).toBe("unknown_app");
    expect(await registry.apps.authenticate("Not A Name", key)).toBe("unknown_app");

    const stored = await db.pool.query<{ key_hash: Buffer }>(`SELECT key_hash FROM apps`);
    expect(stored.rows[0]?.key_hash.toString("latin1")).not.toContain(key);
    expect(stored.rows[0]?.key_hash).toHaveLength(32);
  });

  test("names are checked, duplicates refused, settings validated", async ({ db }) => {
    const registry = await openRegistry({ pool: db.pool, schema: db.schema });
    await expect(registry.apps.createApp("Acme Corp")).rejects.toMatchObject({ code: "REGISTRY_INVALID_APP_NAME" });
    await registry.apps.createApp("acme");
    await expect(registry.apps.createApp("acme")).rejects.toMatchObject({ code: "REGISTRY_APP_EXISTS", retriable: false });
    await expect(registry.apps.createApp("globex", { maxColumns: 3 })).rejects.toMatchObject({
      code: "REGISTRY_INVALID_SETTINGS",
    });
  });

  test("rotation replaces the key, optionally with a grace period for the old one", async ({ db }) => {
    const registry = await openRegistry({ pool: db.pool, schema: db.schema });
    const { key: first } = await registry.apps.createApp("acme");
    const { key: second } = await registry.apps.rotateKey("acme");
    expect(await registry.apps.authenticate("acme", first)).toBe("wrong_key");
    expect(await registry.apps.authenticate("acme", second)).toBe("ok");

    const { key: third } = await registry.apps.rotateKey("acme", { graceSeconds: 60 });
    expect(await registry.apps.authenticate("acme", second)).toBe("ok");
    expect(await registry.apps.authenticate("acme", third)).toBe("ok");
    await expect(registry.apps.rotateKey("globex")).rejects.toMatchObject({ code: "REGISTRY_UNKNOWN_APP" });
  });

  test("a disabled app's key answers disabled until it is enabled again; lists and settings", async ({ db }) => {
    const registry = await openRegistry({ pool: db.pool, schema: db.schema });
    const { key } = await registry.apps.createApp("acme");
    await registry.apps.createApp("globex", { dialect: "redshift" });
    expect((await registry.apps.disableApp("acme")).disabled).toBe(true);
    expect(await registry.apps.authenticate("acme", key)).toBe("disabled");
    expect(await registry.apps.authenticate("acme", "szk_wrong")).toBe("wrong_key");
    await registry.apps.enableApp("acme");
    expect(await registry.apps.authenticate("acme", key)).toBe("ok");

    expect((await registry.apps.listApps()).map((a) => [a.name, a.settings.dialect])).toEqual([
      ["acme", "postgres"],
      ["globex", "redshift"],
    ]);
    expect((await registry.apps.getApp("globex"))?.settings).toEqual({ dialect: "redshift", maxColumns: 1000, maxTables: 1000 });
    expect(await registry.apps.getApp("initech")).toBeUndefined();
  });
});

describe("evolve", () => {
  test("creates version 1, then a version per change, and reuses versions a row fits", async ({ db }) => {
    const registry = await openRegistry({ pool: db.pool, schema: db.schema, createdBy: "test-writer" });
    await registry.apps.createApp("acme");

    const first = await registry.evolve("acme", "user", "pass_mission", observe({ level: 7, mission_name: "caverns" }));
    expect(first.created).toBe(true);
    expect(first.version).toMatchObject({
      app: "acme",
      table: "_e_user__pass_mission",
      subject: "sql.acme-schematizer._e_user__pass_mission",
      version: 1,
      parentId: null,
      createdBy: "test-writer",
    });
    expect(first.version.schema.columns.map((c) => c.name)).toContain("mission_name");

    const same = await registry.evolve("acme", "user", "pass_mission", observe({ level: 3 }));
    expect(same).toEqual({ version: first.version, created: false });
    expect(same.version).toBe(first.version);

    const widened = await registry.evolve("acme", "user", "pass_mission", observe({ level: 7.5, is_premium: true }));
    expect(widened.version).toMatchObject({ version: 2, parentId: first.version.id });
    expect(widened.version.schema.columns.find((c) => c.name === "level")?.type).toBe("double");
    expect(widened.version.diff.widened).toEqual([{ name: "level", from: { type: "bigint" }, to: { type: "double" } }]);

    const stats = registry.stats();
    expect(stats.versionsCreated).toBe(2);
    expect(stats.cachedEvolves).toBeGreaterThanOrEqual(1);
  });

  test("the cached path issues no query", async ({ db }) => {
    const registry = await openRegistry({ pool: db.pool, schema: db.schema });
    await registry.apps.createApp("acme");
    await registry.evolve("acme", "user", "login", observe({ device: "ios", attempts: 1 }));

    // Every query, Kysely's and pool.query's alike, first takes a connection from the pool.
    let queries = 0;
    const connect = db.pool.connect.bind(db.pool);
    db.pool.connect = ((...args: unknown[]) => {
      queries++;
      return (connect as (...a: unknown[]) => unknown)(...args);
    }) as typeof db.pool.connect;
    try {
      for (let i = 0; i < 100; i++) await registry.evolve("acme", "user", "login", observe({ device: "android", attempts: i }));
      expect(queries).toBe(0);
      // The same counter sees the queries of a row that does not fit.
      await registry.evolve("acme", "user", "login", observe({ country: "fr" }));
      expect(queries).toBeGreaterThan(0);
    } finally {
      db.pool.connect = connect;
    }
  });

  test("a second registry instance sees the first one's versions and continues the history", async ({ db }) => {
    const a = await openRegistry({ pool: db.pool, schema: db.schema, createdBy: "a" });
    await a.apps.createApp("acme");
    await a.evolve("acme", "user", "login", observe({ device: "ios" }));
    const b = await openRegistry({ pool: db.pool, schema: db.schema, createdBy: "b" });
    const fromB = await b.evolve("acme", "user", "login", observe({ country: "fr" }));
    expect(fromB.version).toMatchObject({ version: 2, createdBy: "b" });
    // a's cache is behind: a row that fits it is answered from it; a row that does not re-reads.
    expect((await a.evolve("acme", "user", "login", observe({ device: "web" }))).version.version).toBe(1);
    const fromA = await a.evolve("acme", "user", "login", observe({ country: "de" }));
    expect(fromA).toMatchObject({ created: false, version: { version: 2, createdBy: "b" } });
  });

  test("caps changed in place apply to a running registry: tables at once, columns once the settings are read again", async ({ db }) => {
    const registry = await openRegistry({ pool: db.pool, schema: db.schema, cache: { appSettingsMs: 0 } });
    await registry.apps.createApp("acme", { maxTables: 1, maxColumns: 12 });
    const wide = observe(Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`f${i}`, i])));
    const narrow = (await registry.evolve("acme", "user", "a", wide)).version;
    await expect(registry.evolve("acme", "user", "b", observe({ b: 1 }))).rejects.toMatchObject({ code: "REGISTRY_TABLE_LIMIT" });

    await registry.apps.updateSettings("acme", { maxTables: 2, maxColumns: 40 });
    expect((await registry.evolve("acme", "user", "b", observe({ b: 1 }))).version.table).toBe("_e_user__b");
    const widened = (await registry.evolve("acme", "user", "a", wide)).version;
    expect(widened.version).toBe(narrow.version + 1);
    expect(widened.schema.columns.length).toBeGreaterThan(narrow.schema.columns.length);
    expect(widened.schema.columns.map((c) => c.name)).toContain("f19");
  });

  test("unknown apps and the table cap give coded, non-retriable errors", async ({ db }) => {
    const registry = await openRegistry({ pool: db.pool, schema: db.schema });
    await expect(registry.evolve("ghost", "user", "login", observe({ a: 1 }))).rejects.toMatchObject({
      code: "REGISTRY_UNKNOWN_APP",
      retriable: false,
    });
    await registry.apps.createApp("acme", { maxTables: 2 });
    await registry.evolve("acme", "user", "a", observe({ a: 1 }));
    await registry.evolve("acme", "user", "b", observe({ a: 1 }));
    await expect(registry.evolve("acme", "user", "c", observe({ a: 1 }))).rejects.toMatchObject({
      code: "REGISTRY_TABLE_LIMIT",
      retriable: false,
    });
    expect((await registry.listTables("acme")).map((t) => t.name)).toEqual(["_e_user__a", "_e_user__b"]);
  });

  test("the column cap holds: fields beyond it add no column", async ({ db }) => {
    const registry = await openRegistry({ pool: db.pool, schema: db.schema });
    await registry.apps.createApp("acme", { maxColumns: 8 });
    const { version } = await registry.evolve("acme", "user", "wide", observe({ a: 1, b: 2, c: 3, d: 4 }));
    expect(version.schema.columns).toHaveLength(8);
    const again = await registry.evolve("acme", "user", "wide", observe({ e: 5 }));
    expect(again.created).toBe(false);
  });

  test("apps are kept apart: the same event kind in two apps is two tables and two subjects", async ({ db }) => {
    const registry = await openRegistry({ pool: db.pool, schema: db.schema });
    await registry.apps.createApp("acme");
    await registry.apps.createApp("globex");
    const a = await registry.evolve("acme", "user", "login", observe({ a: 1 }));
    const g = await registry.evolve("globex", "user", "login", observe({ g: true }));
    expect(a.version.id).not.toBe(g.version.id);
    expect(g.version.subject).toBe("sql.globex-schematizer._e_user__login");
    expect(g.version.schema.columns.map((c) => c.name)).not.toContain("a");
  });
});

describe("reads", () => {
  test("versions by id and number, current, and lineage with each version's diff", async ({ db }) => {
    const registry = await openRegistry({ pool: db.pool, schema: db.schema });
    await registry.apps.createApp("acme");
    const v1 = (await registry.evolve("acme", "user", "pass_mission", observe({ level: 7 }))).version;
    const v2 = (await registry.evolve("acme", "user", "pass_mission", observe({ level: 7.5 }))).version;
    const v3 = (await registry.evolve("acme", "user", "pass_mission", observe({ isPremium: false }))).version;

    const fresh = await openRegistry({ pool: db.pool, schema: db.schema });
    const byId = await fresh.schemaById(v2.id);
    expect(byId?.schema).toEqual(v2.schema);
    expect(await fresh.schemaById(v2.id)).toBe(byId);
    expect(await fresh.schemaById(999_999)).toBeUndefined();
    expect((await fresh.version("acme", "_e_user__pass_mission", 1))?.id).toBe(v1.id);
    expect((await fresh.version("acme", "_e_user__pass_mission", "latest"))?.id).toBe(v3.id);
    expect((await fresh.current("acme", "user", "pass_mission"))?.id).toBe(v3.id);
    expect(await fresh.current("acme", "user", "never_seen")).toBeUndefined();

    const lineage = await fresh.lineage("acme", "_e_user__pass_mission");
    expect(lineage?.table).toMatchObject({ app: "acme", entype: "user", evname: "pass_mission" });
    expect(lineage?.versions.map((v) => [v.version, v.parentId, v.changes])).toEqual([
      [1, null, ["added level bigint from $.body.level"]],
      [2, v1.id, ["widened level from bigint to double"]],
      [3, v2.id, ["added is_premium boolean from $.body.isPremium"]],
    ]);
    expect(await fresh.lineage("acme", "_e_nope__nope")).toBeUndefined();
  });

  test("the database itself refuses a gap in a history", async ({ db }) => {
    const registry = await openRegistry({ pool: db.pool, schema: db.schema });
    await registry.apps.createApp("acme");
    const { version } = await registry.evolve("acme", "user", "login", observe({ a: 1 }));
    const gap = db.pool.query(
      `INSERT INTO schema_versions (table_id, version, parent_id, columns, avro, avro_fingerprint, diff, fingerprint, created_by)
       SELECT table_id, 3, id, columns, avro, avro_fingerprint, diff, fingerprint, 'x' FROM schema_versions WHERE id = $1`,
      [version.id],
    );
    await expect(gap).rejects.toMatchObject({ code: "23503" });
  });

  test("migrations are idempotent and concurrent openers agree", async ({ db }) => {
    await Promise.all([1, 2, 3].map(() => openRegistry({ pool: db.pool, schema: db.schema })));
    const again = await openRegistry({ pool: db.pool, schema: db.schema });
    await again.apps.createApp("acme");
    const { rows } = await db.pool.query(`SELECT name FROM migrations ORDER BY name`);
    expect(rows).toEqual(Object.keys(registryMigrations(db.schema)).map((name) => ({ name })));
  });
});
