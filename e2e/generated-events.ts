/**
 * Events as the world sends them, generated: JSON text written by hand, so that number literals
 * reach the pipeline as typed (1e400, 2^63, -0), with keys and values tests forget — NUL and other
 * control characters, lone surrogates, names the warehouses reserve, spellings that collide, names
 * too long for an identifier, bodies a thousand columns wide or deeper than the limit, timestamps at
 * the edge of the representable range, and fields that change type from one event to the next.
 *
 * Seeded: the same seed gives the same events, so a failing run is reproduced from its seed.
 */
import fc from "fast-check";

/** One generated event: its id (every event carries one) and the exact text sent. */
export interface GeneratedEvent {
  readonly id: string;
  readonly enid: string;
  readonly text: string;
}

const RESERVED_KEYS = ["xmin", "xmax", "cmin", "cmax", "ctid", "tableoid", "oid", "deletexid", "insertxid", "rowid", "_sz_id", "_sz_unmapped", "select", "order", "user", "__proto__", "constructor"];
const COLLIDING_KEYS = ["isPremium", "is_premium", "is-premium", "IsPremium", "is premium", "ÍsPremium"];
const CONTROL_KEYS = ["a\u0000b", "\u0000", "\u0001\u0002", "tab\there", "new\nline", "\u007f", "\u200b", "\ufeff", "\u202etxt", " ", ""];
const SURROGATE_KEYS = ["\ud800", "\udfff x", "a\udbffb", "😀", "名前", "Café au lait"];
const NUMBER_LITERALS = [
  "1e400", "-1E+309", "2e99999", "1.7976931348623157e308", "5e-324", "-0", "0.1", "1e-400",
  "9007199254740993", "-9223372036854775809", "18446744073709551615", "123456789012345678901234567890123456789012",
];
const EDGE_TIMES = [
  "0001-01-01T00:00:00Z", "0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59.999999Z", "9999-12-31T23:30:00-01:00",
  "2015-01-01T00:31:32Z", "2015-01-01t00:31:32.5+05:30", "1970-01-01T00:00:00.0000001Z", "2015-02-29T00:00:00Z", "0000-01-01T00:00:00Z",
  "0001-01-01", "9999-12-31", "2016-02-29", "2015-13-01",
];
const ENTYPES = ["user", "user", "order", "User", "us er", "user\u200b", "a\u0000b", "ünïcødé", "x".repeat(300), "\ud800"];
const EVNAMES = ["login", "flap", "wide", "deep", "login", "Login", "log-in", "pass_mission", " padded", "e\u0301vent"];

const json = (value: string) => JSON.stringify(value);

const key: fc.Arbitrary<string> = fc.oneof(
  { weight: 8, arbitrary: fc.stringMatching(/^[a-z][a-z0-9_]{0,10}$/) },
  { weight: 2, arbitrary: fc.constantFrom(...RESERVED_KEYS) },
  { weight: 2, arbitrary: fc.constantFrom(...COLLIDING_KEYS) },
  { weight: 1, arbitrary: fc.constantFrom(...CONTROL_KEYS) },
  { weight: 1, arbitrary: fc.constantFrom(...SURROGATE_KEYS) },
  { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 6 }) },
  { weight: 1, arbitrary: fc.integer({ min: 60, max: 300 }).map((n) => "long_key_".padEnd(n, "k")) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 99_999 }).map(String) },
);

const scalar: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.integer().map(String) },
  { weight: 2, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }).map((d) => JSON.stringify(d)) },
  { weight: 2, arbitrary: fc.constantFrom(...NUMBER_LITERALS) },
  { weight: 2, arbitrary: fc.boolean().map(String) },
  { weight: 1, arbitrary: fc.constant("null") },
  { weight: 3, arbitrary: fc.string({ unit: "binary", maxLength: 12 }).map(json) },
  { weight: 2, arbitrary: fc.constantFrom(...EDGE_TIMES).map(json) },
  { weight: 1, arbitrary: fc.constantFrom("a\u0000b", "\ud800", "x".repeat(70_000), "é".repeat(40_000)).map(json) },
);

/** A body field that flaps: the same path with a different type in different events. */
const flapping: fc.Arbitrary<string> = fc.constantFrom("1", "1.5", '"one"', "true", '["a"]', '{"x":1}', '"2015-01-01T00:00:00Z"', "12345678901234567890");

function value(depth: number): fc.Arbitrary<string> {
  if (depth <= 0) return scalar;
  return fc.oneof(
    { weight: 6, arbitrary: scalar },
    { weight: 1, arbitrary: fc.array(scalar, { maxLength: 4 }).map((items) => `[${items.join(",")}]`) },
    { weight: 2, arbitrary: object(depth - 1, 5) },
  );
}

function object(depth: number, maxKeys: number): fc.Arbitrary<string> {
  return fc.array(fc.tuple(key, value(depth)), { maxLength: maxKeys }).map((fields) => `{${fields.map(([k, v]) => `${json(k)}:${v}`).join(",")}}`);
}

/** A catalogue keyed by numeric ids: hundreds of objects, each a few typed fields. */
const catalogue: fc.Arbitrary<string> = fc.integer({ min: 150, max: 400 }).map((n) => {
  const items = Array.from({ length: n }, (_, i) => `"${1000 + i}":{"name":"item ${i}","price":${(i % 97) + 0.5},"stock":${i % 13},"tags":["t${i % 5}"]}`);
  return `{"items":{${items.join(",")}}}`;
});

/** A flat body of hundreds to over a thousand columns. */
const wide: fc.Arbitrary<string> = fc.integer({ min: 200, max: 1_300 }).map((n) => `{${Array.from({ length: n }, (_, i) => `"f${i}":${i % 3 === 0 ? i : i % 3 === 1 ? `${i}.25` : `"v${i}"`}`).join(",")}}`);

/** Nested beyond the depth limit (refused at the door) or just within it. */
const deep: fc.Arbitrary<string> = fc.integer({ min: 28, max: 36 }).map((d) => `${'{"n":'.repeat(d)}1${"}".repeat(d)}`);

const body: fc.Arbitrary<string> = fc.oneof(
  { weight: 10, arbitrary: object(3, 8) },
  { weight: 3, arbitrary: flapping.map((v) => `{"flap":${v},"n":1}`) },
  { weight: 1, arbitrary: catalogue },
  { weight: 1, arbitrary: wide },
  { weight: 1, arbitrary: deep },
);


const ts: fc.Arbitrary<string> = fc.oneof(
  { weight: 20, arbitrary: fc.integer({ min: 1_420_070_400_000, max: 1_893_456_000_000 }).map(String) },
  { weight: 1, arbitrary: fc.constantFrom(...EDGE_TIMES).map(json) },
  { weight: 1, arbitrary: fc.constantFrom(...NUMBER_LITERALS) },
);

const eventParts = fc.record({
  entype: fc.oneof({ weight: 12, arbitrary: fc.constant("user") }, { weight: 2, arbitrary: fc.constantFrom(...ENTYPES) }),
  evname: fc.oneof({ weight: 12, arbitrary: fc.constantFrom(...EVNAMES.slice(0, 5)) }, { weight: 2, arbitrary: fc.constantFrom(...EVNAMES) }),
  ts,
  body,
  enid: fc.integer({ min: 0, max: 30 }),
});

/**
 * `count` events from `seed`, ids `<prefix><n>`, entity ids among 31 (so events of an entity share a
 * partition, and a canary sent after them on the same entity shows whether they held it up).
 *
 * @example
 * ```ts
 * const events = generatedEvents(42, 300, "g");
 * events[0].text; // '{"id":"g0","ts":1612345678901,"entype":"user",…}'
 * ```
 */
export function generatedEvents(seed: number, count: number, prefix: string): GeneratedEvent[] {
  const parts = fc.sample(eventParts, { seed, numRuns: count });
  return parts.map((p, n) => {
    const id = `${prefix}${n}`;
    const enid = `u${p.enid}`;
    const text = `{"id":${json(id)},"ts":${p.ts},"entype":${json(p.entype)},"evname":${json(p.evname)},"enid":${json(enid)},"body":${p.body}}`;
    return { id, enid, text };
  });
}

/**
 * A plain event: after the generated events of an entity, it must land as a row, on time.
 *
 * @example
 * ```ts
 * canary("c0", "u3").text; // '{"id":"c0","ts":1420072292000,"entype":"canary","evname":"ping","enid":"u3","body":{"n":1}}'
 * ```
 */
export function canary(id: string, enid: string): GeneratedEvent {
  return { id, enid, text: `{"id":${json(id)},"ts":1420072292000,"entype":"canary","evname":"ping","enid":${json(enid)},"body":{"n":1}}` };
}
