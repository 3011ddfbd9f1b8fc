/**
 * Benchmark of the schematizer core on one core: the sqlizer's per-event work, from raw JSON
 * text to a Confluent-framed Avro row.
 *
 *   parseEvent (size check, JSON, envelope, depth) → table name → coerce against the current
 *   version → when it needs it, observe + mergeSchema and coerce again → confluentEncode
 *
 * The stream is generated deterministically (seeded PRNG): five event kinds with nested bodies
 * and arrays, 200–400 bytes each, whose schemas evolve along the stream (new fields, numbers
 * turning fractional, the odd 19-digit id beyond 2^53, occasional long text, a few invalid
 * events). Every timed pass starts from empty schemas, so it pays for the evolution too. A bare
 * JSON.parse loop over the same texts runs in the same process, its passes alternating with the
 * pipeline's; each figure is the median pass rate.
 *
 * Run: npm run bench:schema   (SCHEMA_BENCH_EVENTS, SCHEMA_BENCH_SECONDS to change the size)
 * The last line printed is one JSON object with the figures.
 */
import { confluentEncode } from "@schematizer/contracts";
import {
  coerce,
  emptySchema,
  mergeSchema,
  observe,
  parseEvent,
  tableName,
  type Dialect,
  type TableSchema,
} from "@schematizer/schema";

const EVENTS = Number(process.env.SCHEMA_BENCH_EVENTS ?? 50_000);
const SECONDS = Number(process.env.SCHEMA_BENCH_SECONDS ?? 6);
const DIALECT: Dialect = "redshift";
const RECEIVED_AT = 1_700_000_000_000_000;

/** mulberry32: tiny, fast, and the same stream on every machine. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const random = prng(20_150_101);
const int = (min: number, max: number): number => min + Math.floor(random() * (max - min + 1));
const pick = <T>(items: readonly T[]): T => items[int(0, items.length - 1)] as T;
const chance = (p: number): boolean => random() < p;
const word = (): string => pick(["caverns", "forest", "harbor", "summit", "desert", "tundra", "canyon", "reef"]);
const hex = (n: number): string => Array.from({ length: n }, () => "0123456789abcdef"[int(0, 15)]).join("");

function isoAt(ms: number): string {
  return new Date(ms).toISOString();
}

/** One event as clients send it; `progress` in [0, 1) moves the schemas along. */
function makeEvent(i: number, progress: number): string {
  const ms = 1_700_000_000_000 + i * 250;
  const enid = `u${int(1, 50_000)}`;
  const ts = chance(0.5) ? ms : isoAt(ms);
  const kind = int(0, 4);
  let entype: string;
  let evname: string;
  let body: Record<string, unknown>;
  switch (kind) {
    case 0:
      entype = "user";
      evname = "pass_mission";
      body = {
        level: progress > 0.5 && chance(0.2) ? int(1, 99) + 0.5 : int(1, 99),
        mission_name: word(),
        is_premium: chance(0.3),
        duration_ms: int(1_000, 900_000),
        score: Math.round(random() * 1e6) / 100,
        device: { os: pick(["ios", "android"]), os_version: `${int(10, 17)}.${int(0, 5)}`, model: pick(["pixel8", "iphone15", "galaxy"]) },
        rewards: Array.from({ length: int(0, 3) }, () => pick(["gold", "gem", "key", "xp"])),
      };
      if (progress > 0.3) body.experiment_group = pick(["a", "b", "control"]);
      break;
    case 1:
      entype = "user";
      evname = "login";
      body = {
        method: pick(["password", "google", "apple"]),
        country: pick(["FR", "US", "DE", "JP", "BR"]),
        ip: `${int(1, 254)}.${int(0, 255)}.${int(0, 255)}.${int(1, 254)}`,
        session: { id: hex(16), startedAt: isoAt(ms - int(0, 60_000)), isNew: chance(0.1) },
        device: { os: pick(["ios", "android", "web"]), appVersion: `3.${int(0, 20)}.${int(0, 9)}` },
      };
      if (progress > 0.6) body.mfa = { used: chance(0.4), kind: pick(["totp", "sms"]) };
      break;
    case 2:
      entype = "purchase";
      evname = "completed";
      body = {
        // Now and then a 19-digit id beyond 2^53, which must stay exact.
        order_id: chance(0.05) ? `ORDER_ID_BIG` : int(1, 9_000_000_000),
        amount: Math.round(random() * 50_000) / 100,
        currency: pick(["EUR", "USD", "JPY"]),
        items: Array.from({ length: int(1, 3) }, () => ({ sku: `sku-${int(100, 999)}`, qty: int(1, 4) })),
        user: { tier: pick(["free", "plus", "pro"]), firstPurchase: chance(0.2) },
        paid_on: isoAt(ms).slice(0, 10),
      };
      break;
    case 3:
      entype = "page";
      evname = "view";
      body = {
        url: `https://example.com/${word()}/${int(1, 500)}`,
        referrer: chance(0.5) ? `https://search.example/${word()}` : null,
        title: `${word()} ${word()}`,
        viewport: { w: pick([375, 414, 1280, 1920]), h: pick([667, 896, 800, 1080]) },
        utm: { source: pick(["newsletter", "ads", "social"]), medium: pick(["email", "cpc"]), campaign: `c${int(1, 40)}` },
      };
      if (progress > 0.8) body.load_ms = int(50, 4000);
      break;
    default:
      entype = "app";
      evname = "error";
      body = {
        code: pick(["E_TIMEOUT", "E_NETWORK", "E_STATE"]),
        message: `${word()} failed after ${int(1, 9)} retries`,
        // Text grows past the first VARCHAR size later in the stream.
        stack: "at f (app.js:1:1)\n".repeat(progress > 0.7 && chance(0.1) ? int(15, 30) : int(1, 4)),
        context: { screen: word(), online: chance(0.8), battery: Math.round(random() * 100) / 100 },
      };
  }
  const event: Record<string, unknown> = { id: `${hex(8)}-${i}`, ts, entype, evname, enid, body };
  // A few invalid events take the error path, as in real traffic.
  if (chance(0.002)) delete event.evname;
  return JSON.stringify(event).replace('"ORDER_ID_BIG"', `${int(1, 9)}${String(int(0, 999_999_999)).padStart(9, "0")}${String(int(0, 999_999_999)).padStart(9, "0")}`);
}

const texts = Array.from({ length: EVENTS }, (_, i) => makeEvent(i, i / EVENTS));
const totalBytes = texts.reduce((n, t) => n + Buffer.byteLength(t), 0);

interface PassStats {
  versions: number;
  invalid: number;
  unmapped: number;
  bytes: number;
}

/** One pass over the stream from empty schemas: what the sqlizer does per event. */
function pipelinePass(): PassStats {
  const schemas = new Map<string, TableSchema>();
  // Nested maps: no key string to build per event.
  const tables = new Map<string, Map<string, string>>();
  const stats: PassStats = { versions: 0, invalid: 0, unmapped: 0, bytes: 0 };
  for (let i = 0; i < texts.length; i++) {
    const parsed = parseEvent(texts[i] as string);
    if (!parsed.ok) {
      stats.invalid++;
      continue;
    }
    const event = parsed.value;
    let byName = tables.get(event.entype);
    if (byName === undefined) tables.set(event.entype, (byName = new Map()));
    let table = byName.get(event.evname);
    if (table === undefined) {
      table = tableName(event.entype, event.evname, DIALECT);
      byName.set(event.evname, table);
    }
    let schema = schemas.get(table) ?? emptySchema(table, DIALECT);
    const meta = { id: event.id ?? `gen-${i}`, receivedAt: RECEIVED_AT };
    let result = coerce(schema, event, meta);
    if (result.needsMerge) {
      const merged = mergeSchema(schema, observe(event.body));
      if (merged.changed) {
        schema = merged.schema;
        schemas.set(table, schema);
        stats.versions++;
      }
      result = coerce(schema, event, meta);
    }
    stats.unmapped += result.unmapped;
    stats.bytes += confluentEncode(schema.version, schema, result.row).length;
  }
  return stats;
}

let sink = 0;
function jsonParsePass(): void {
  for (let i = 0; i < texts.length; i++) {
    const value = JSON.parse(texts[i] as string) as { body: unknown };
    if (value.body !== undefined) sink++;
  }
}

function timed(pass: () => unknown): number {
  const start = process.hrtime.bigint();
  pass();
  return texts.length / (Number(process.hrtime.bigint() - start) / 1e9);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

// Warm up both loops until the JIT has settled.
const warmupEnd = Date.now() + 1500;
let stats = pipelinePass();
while (Date.now() < warmupEnd) {
  pipelinePass();
  jsonParsePass();
}

// Passes of the two loops alternate, so both see the same machine; the median pass rate of each
// resists a neighbour's burst of work.
const pipelineRates: number[] = [];
const jsonParseRates: number[] = [];
const end = process.hrtime.bigint() + BigInt(Math.round(SECONDS * 1e9));
while (process.hrtime.bigint() < end || pipelineRates.length < 5) {
  pipelineRates.push(timed(pipelinePass));
  jsonParseRates.push(timed(jsonParsePass));
}
const eventsPerSecond = median(pipelineRates);
const jsonParsePerSecond = median(jsonParseRates);
stats = pipelinePass();
const rssMb = Math.round(process.memoryUsage().rss / 1_048_576);

console.log(`stream: ${EVENTS} events, ${pipelineRates.length} timed passes, ${Math.round(totalBytes / EVENTS)} bytes/event on average (${DIALECT} naming)`);
console.log(`per pass: ${stats.versions} schema versions created, ${stats.invalid} invalid events, ${stats.unmapped} values to _sz_unmapped, ${Math.round(stats.bytes / (EVENTS - stats.invalid))} Avro bytes/row`);
console.log(`pipeline:   ${Math.round(eventsPerSecond).toLocaleString("en-US")} events/s`);
console.log(`JSON.parse: ${Math.round(jsonParsePerSecond).toLocaleString("en-US")} events/s`);
console.log(`ratio: ${(eventsPerSecond / jsonParsePerSecond).toFixed(2)}, rss: ${rssMb} MB${sink < 0 ? "" : ""}`);
console.log(
  JSON.stringify({
    bench: "schema",
    events_per_s: Math.round(eventsPerSecond),
    json_parse_per_s: Math.round(jsonParsePerSecond),
    ratio: Number((eventsPerSecond / jsonParsePerSecond).toFixed(3)),
    rss_mb: rssMb,
    event_bytes: Math.round(totalBytes / EVENTS),
    events: EVENTS,
    node: process.version,
  }),
);
