/**
 * One writer process of the concurrency test: evolves one table with its share of random
 * bodies through its own registry, then prints its counters as one JSON line.
 *
 * Usage: tsx evolve-writer.ts <database url> <registry schema> <app> <seed> <count>
 */
import { createPool } from "@schematizer/postgres";
import { observe } from "@schematizer/schema";
import { openRegistry } from "../src/registry.ts";
import { randomBodies } from "./random-bodies.ts";

const [url, schema, app, seed, count] = process.argv.slice(2);
if (url === undefined || schema === undefined || app === undefined || seed === undefined || count === undefined) {
  throw new Error("usage: evolve-writer.ts <database url> <registry schema> <app> <seed> <count>");
}
const pool = createPool({ connectionString: url, max: 2 });
try {
  const registry = await openRegistry({
    pool,
    schema,
    createdBy: `process-${seed}`,
    retry: { attempts: 60, baseDelayMs: 2, maxDelayMs: 50 },
  });
  const ids: number[] = [];
  for (const body of randomBodies(Number(seed), Number(count))) {
    const { version } = await registry.evolve(app, "game", "round", observe(body));
    ids.push(version.id);
  }
  process.stdout.write(`${JSON.stringify({ seed: Number(seed), ids, stats: registry.stats() })}\n`);
} finally {
  await pool.end();
}
