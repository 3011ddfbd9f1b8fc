import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { createPool } from "@schematizer/postgres";
import { emptySchema, mergeSchema, observe, type TableSchema } from "@schematizer/schema";
import { test } from "@schematizer/testing";
import { describe, expect } from "vitest";
import { randomBodies } from "../test/random-bodies.ts";
import { openRegistry, type Registry } from "./registry.ts";
import type { SchemaVersion } from "./table-versions.ts";

const run = promisify(execFile);
const TABLE = "_e_game__round";

/** The schema one writer alone would reach from every body, for comparing column sets. */
function expectedSchema(bodies: readonly object[]): TableSchema {
  let schema = emptySchema(TABLE, "postgres");
  for (const body of bodies) schema = mergeSchema(schema, observe(body as never)).schema;
  return schema;
}

function columnSet(schema: TableSchema) {
  return schema.columns
    .map((c) => ({ name: c.name, type: c.type, sources: c.sources }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

async function historyOf(registry: Registry): Promise<SchemaVersion[]> {
  const latest = await registry.version("acme", TABLE, "latest");
  const versions: SchemaVersion[] = [];
  for (let v = 1; v <= (latest?.version ?? 0); v++) {
    const version = await registry.version("acme", TABLE, v);
    if (version !== undefined) versions.push(version);
  }
  return versions;
}

/** Contiguous, each version the parent's child, each one a superset of the one before. */
function expectLinearHistory(history: readonly SchemaVersion[]): void {
  history.forEach((v, i) => {
    expect(v.version).toBe(i + 1);
    expect(v.parentId).toBe(i === 0 ? null : history[i - 1]?.id);
    const parent = history[i - 1];
    if (parent !== undefined) {
      const names = v.schema.columns.map((c) => c.name);
      expect(names.slice(0, parent.schema.columns.length)).toEqual(parent.schema.columns.map((c) => c.name));
    }
  });
}

describe("concurrent writers", () => {
  test("writers on separate connections converge on one schema holding every field", async ({ db }) => {
    const writers = 8;
    const perWriter = 60;
    const setup = await openRegistry({ pool: db.pool, schema: db.schema });
    await setup.apps.createApp("acme");

    const pools = Array.from({ length: writers }, () =>
      createPool({ connectionString: db.url, max: 1, applicationName: "registry-writer" }),
    );
    try {
      const registries = await Promise.all(
        pools.map((pool, i) =>
          openRegistry({ pool, schema: db.schema, createdBy: `writer-${i}`, retry: { attempts: 60, maxDelayMs: 50 } }),
        ),
      );
      const bodies = registries.map((_, i) => randomBodies(1000 + i, perWriter));
      const results = await Promise.all(
        registries.map(async (registry, i) => {
          const seen: { body: object; version: SchemaVersion }[] = [];
          for (const body of bodies[i] ?? []) {
            const { version } = await registry.evolve("acme", "game", "round", observe(body));
            seen.push({ body, version });
          }
          return seen;
        }),
      );

      // Every answer held its row: no writer was handed a version missing its change.
      for (const { body, version } of results.flat()) {
        expect(mergeSchema(version.schema, observe(body as never)).changed).toBe(false);
      }

      const history = await historyOf(setup);
      expectLinearHistory(history);
      const final = history.at(-1) as SchemaVersion;
      // Every field of every writer is in the final schema, with the type all its values need.
      expect(columnSet(final.schema)).toEqual(columnSet(expectedSchema(bodies.flat())));
      for (const body of bodies.flat()) expect(mergeSchema(final.schema, observe(body)).changed).toBe(false);

      // Every writer converges on that version.
      for (const registry of registries) {
        const { version } = await registry.evolve("acme", "game", "round", observe(bodies.flat().at(-1) ?? {}));
        expect(version.schema.columns.length).toBeLessThanOrEqual(final.schema.columns.length);
        expect((await registry.version("acme", TABLE, "latest"))?.id).toBe(final.id);
      }
      const stats = registries.map((r) => r.stats());
      expect(stats.reduce((n, s) => n + s.versionsCreated, 0)).toBe(history.length);
      expect(stats.every((s) => s.conflictsExhausted === 0)).toBe(true);
      // With eight writers on new fields, races are lost and retried: the fence was exercised.
      expect(stats.reduce((n, s) => n + s.conflictsRetried, 0)).toBeGreaterThan(0);
    } finally {
      await Promise.all(pools.map((p) => p.end()));
    }
  });

  test("writers in separate processes converge too", async ({ db }) => {
    const processes = 4;
    const perProcess = 40;
    const setup = await openRegistry({ pool: db.pool, schema: db.schema });
    await setup.apps.createApp("acme");
    const script = fileURLToPath(new URL("../test/evolve-writer.ts", import.meta.url));
    const seeds = Array.from({ length: processes }, (_, i) => 5000 + i);
    const outputs = await Promise.all(
      seeds.map((seed) =>
        run("npx", ["tsx", script, db.url, db.schema, "acme", String(seed), String(perProcess)], {
          timeout: 60_000,
        }),
      ),
    );
    const reports = outputs.map(
      (o) => JSON.parse(o.stdout.trim().split("\n").at(-1) ?? "{}") as { seed: number; ids: number[]; stats: { versionsCreated: number } },
    );

    const history = await historyOf(setup);
    expectLinearHistory(history);
    const final = history.at(-1) as SchemaVersion;
    const allBodies = seeds.flatMap((seed) => randomBodies(seed, perProcess));
    expect(columnSet(final.schema)).toEqual(columnSet(expectedSchema(allBodies)));
    expect(reports.reduce((n, r) => n + r.stats.versionsCreated, 0)).toBe(history.length);
    expect(new Set(history.map((v) => v.createdBy)).size).toBeGreaterThan(1);

    // Each process's answers were versions that hold its rows.
    const byId = new Map(history.map((v) => [v.id, v]));
    for (const report of reports) {
      randomBodies(report.seed, perProcess).forEach((body, i) => {
        const version = byId.get(report.ids[i] ?? -1);
        expect(version).toBeDefined();
        expect(mergeSchema((version as SchemaVersion).schema, observe(body)).changed).toBe(false);
      });
    }
  });

  test("a writer that keeps losing gives up with a retriable REGISTRY_CONFLICT", async ({ db }) => {
    const setup = await openRegistry({ pool: db.pool, schema: db.schema });
    await setup.apps.createApp("acme");
    await setup.evolve("acme", "game", "round", observe({ a: 1 }));
    const loser = await openRegistry({ pool: db.pool, schema: db.schema, retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 1 } });
    // Another writer always gets there first: insert the next version whenever the loser reads.
    const winner = await openRegistry({ pool: db.pool, schema: db.schema });
    const connect = db.pool.connect.bind(db.pool);
    let round = 0;
    db.pool.connect = (async () => {
      const client = await connect();
      const query = client.query.bind(client) as (...args: unknown[]) => Promise<unknown>;
      client.query = (async (...args: unknown[]) => {
        const result = await query(...args);
        const text = typeof args[0] === "string" ? args[0] : "";
        if (text.includes('from "' + db.schema + '"."schema_versions"') && text.includes("desc")) {
          db.pool.connect = connect;
          await winner.evolve("acme", "game", "round", observe({ [`w${round++}`]: 1 }));
          db.pool.connect = interceptor;
        }
        return result;
      }) as typeof client.query;
      return client;
    }) as typeof db.pool.connect;
    const interceptor = db.pool.connect;
    try {
      const failure = loser.evolve("acme", "game", "round", observe({ z: true }));
      await expect(failure).rejects.toMatchObject({ code: "REGISTRY_CONFLICT", retriable: true });
    } finally {
      db.pool.connect = connect;
    }
    expect(loser.stats()).toMatchObject({ conflictsRetried: 2, conflictsExhausted: 1 });
  });
});
