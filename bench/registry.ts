/**
 * Benchmark of the schema registry against a real Postgres.
 *
 * 1. `evolve()` on the cached path: rows that fit the table's current version, as a sqlizer
 *    replica sees most of the time. No query runs; the figure is calls per second on one core.
 * 2. Contention: 8 writers, each with its own registry and its own one-connection pool (as 8
 *    replicas would be), race to add new fields to one table. Every call needs a new version,
 *    so each lost race is retried; the figures are versions committed per second and how many
 *    races were lost and retried.
 *
 * Postgres: DATABASE_URL, else the local stack's (`npm run stack -- up`). Everything is written
 * to a scratch schema that is dropped at the end.
 *
 * Run: npm run bench:registry   (REGISTRY_BENCH_SECONDS, REGISTRY_BENCH_FIELDS to change the size)
 * The last line printed is one JSON object with the figures.
 */
import { randomBytes } from "node:crypto";
import { createPool, quoteIdent } from "@schematizer/postgres";
import { openRegistry } from "@schematizer/registry";
import { observe, type ObservedRow } from "@schematizer/schema";
import { resolveEndpoints } from "@schematizer/stack";

const SECONDS = Number(process.env.REGISTRY_BENCH_SECONDS ?? 3);
const WRITERS = 8;
/** New fields each contending writer adds, one per call (8 × 40 = 320 versions). */
const FIELDS_PER_WRITER = Number(process.env.REGISTRY_BENCH_FIELDS ?? 40);

const url = resolveEndpoints().postgres.url;
const schema = `bench_registry_${randomBytes(4).toString("hex")}`;
const admin = createPool({ connectionString: url, max: 1 });
const pools = [createPool({ connectionString: url, max: 4 })];

function body(i: number): Record<string, unknown> {
  return {
    level: i % 50,
    score: i * 0.5 + 0.25,
    mission_name: `mission ${i % 7}`,
    is_premium: i % 3 === 0,
    started_at: "2015-01-01T00:31:32Z",
    device: { os: i % 2 === 0 ? "ios" : "android", version: `${i % 5}.0` },
    tags: ["a", "b"],
  };
}

async function cachedEvolve(): Promise<number> {
  const pool = pools[0]!;
  const registry = await openRegistry({ pool, schema });
  await registry.apps.createApp("bench");
  const rows: ObservedRow[] = Array.from({ length: 256 }, (_, i) => observe(body(i) as never));
  for (const row of rows) await registry.evolve("bench", "user", "pass_mission", row);
  const versionsBefore = registry.stats().versionsCreated;

  let calls = 0;
  const started = performance.now();
  const deadline = started + SECONDS * 1000;
  while (performance.now() < deadline) {
    for (let i = 0; i < 1000; i++) await registry.evolve("bench", "user", "pass_mission", rows[(calls + i) & 255]!);
    calls += 1000;
  }
  const elapsed = (performance.now() - started) / 1000;
  if (registry.stats().versionsCreated !== versionsBefore) throw new Error("the cached path wrote a version");
  return calls / elapsed;
}

async function contended(): Promise<{ versionsPerSecond: number; conflicts: number; versions: number }> {
  const setup = await openRegistry({ pool: pools[0]!, schema });
  await setup.evolve("bench", "user", "contended", observe({ seed: 1 }));
  const registries = [];
  for (let w = 0; w < WRITERS; w++) {
    const pool = createPool({ connectionString: url, max: 1, applicationName: `bench-writer-${w}` });
    pools.push(pool);
    registries.push(
      await openRegistry({
        pool,
        schema,
        migrate: false,
        createdBy: `writer-${w}`,
        retry: { attempts: 200, baseDelayMs: 1, maxDelayMs: 20 },
      }),
    );
  }
  // Observations are made before the clock starts: the figure is the registry's, not observe's.
  const work = registries.map((_, w) =>
    Array.from({ length: FIELDS_PER_WRITER }, (_, i) => observe({ seed: 1, [`w${w}_f${i}`]: i })),
  );
  const started = performance.now();
  await Promise.all(
    registries.map(async (registry, w) => {
      for (const row of work[w]!) await registry.evolve("bench", "user", "contended", row);
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  const latest = await setup.version("bench", "_e_user__contended", "latest");
  const versions = registries.reduce((n, r) => n + r.stats().versionsCreated, 0);
  if (latest?.version !== versions + 1) throw new Error(`expected ${versions + 1} versions, found ${latest?.version}`);
  return {
    versionsPerSecond: versions / elapsed,
    conflicts: registries.reduce((n, r) => n + r.stats().conflictsRetried, 0),
    versions,
  };
}

try {
  await admin.query(`CREATE SCHEMA ${quoteIdent(schema)}`);
  const cached = await cachedEvolve();
  console.log(`cached evolve: ${Math.round(cached).toLocaleString("en")} calls/s`);
  const race = await contended();
  console.log(
    `contended: ${race.versions} versions by ${WRITERS} writers at ${race.versionsPerSecond.toFixed(0)} versions/s, ` +
      `${race.conflicts} lost races retried`,
  );
  console.log(
    JSON.stringify({
      bench: "registry",
      cached_evolve_per_s: Math.round(cached),
      contended_versions_per_s: Math.round(race.versionsPerSecond),
      writers: WRITERS,
      versions: race.versions,
      conflicts_retried: race.conflicts,
      rss_mb: Math.round(process.memoryUsage().rss / 1024 / 1024),
    }),
  );
} finally {
  await Promise.all(pools.map((p) => p.end()));
  await admin.query(`DROP SCHEMA IF EXISTS ${quoteIdent(schema)} CASCADE`);
  await admin.end();
}
