/**
 * Generated requests against the sink with healthy dependencies: whatever a client sends, the
 * answer is never a 5xx, every refusal carries a code of the catalogue, and a refused request
 * publishes nothing. A failure prints fast-check's seed and path; rerun with them to reproduce,
 * then keep the input as an explicit case in app.test.ts (the cases found so far are there).
 * A longer run: SINK_FUZZ_RUNS=20000 npx vitest run --project unit apps/event-sink/src/sink-answers.test.ts
 */
import { gzipSync } from "node:zlib";
import type { FastifyInstance } from "fastify";
import fc from "fast-check";
import type { Producer, TopicMessages } from "@schematizer/kafka";
import { topicsFor } from "@schematizer/contracts";
import { createMetricsRegistry } from "@schematizer/observability";
import { DEFAULT_LIMITS } from "@schematizer/schema";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp } from "./app.ts";
import { MAX_LISTED_PROBLEMS } from "./event-problems.ts";
import { SINK_ERRORS } from "./sink-errors.ts";

const KEY = "k_acme_secret";
const MAX_BODY = 64 * 1024;
const MAX_EVENTS = 500;

let app: FastifyInstance;
const sent: TopicMessages[] = [];

beforeAll(() => {
  const producer: Producer = {
    async send(batches) {
      sent.push(...batches);
    },
    async close() {},
  };
  app = buildApp({
    producer,
    // As the registry answers: only names of the app pattern can exist.
    authenticate: async (name, key) => (name === "acme" ? (key === KEY ? "ok" : "wrong_key") : name === "frozen" ? "disabled" : "unknown_app"),
    topics: (a) => topicsFor(a),
    maxBodyBytes: MAX_BODY,
    maxEvents: MAX_EVENTS,
    limits: { ...DEFAULT_LIMITS, maxEventBytes: 16 * 1024, maxDepth: 8 },
    produceTimeoutMs: 1_000,
    notReadyReason: () => undefined,
    metrics: createMetricsRegistry("event-sink", { processMetrics: false }),
  });
});
afterAll(async () => {
  await app.close();
});

const EVENT = { ts: "2015-01-01T00:31:32Z", entype: "user", evname: "pass_mission", body: { level: 7 } };
const nested = (depth: number) => `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`;

/** Anything that may stand where an envelope field stands. */
const anyValue = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.string({ unit: "binary", maxLength: 20 }),
  fc.constantFrom("", " ", "\u0000", "a\u0000b", "\ud800", "2015-01-01T00:31:32Z", "9999-12-31T23:59:59.999999-23:59", -0, 2 ** 53 + 1, null),
);

/** Events, good and bad, as JSON text. */
const eventText = fc.oneof(
  { weight: 3, arbitrary: fc.constant(JSON.stringify(EVENT)) },
  {
    weight: 3,
    arbitrary: fc
      .record(
        { id: anyValue, ts: anyValue, entype: anyValue, evname: anyValue, enid: anyValue, body: fc.oneof(fc.dictionary(fc.string(), anyValue, { maxKeys: 5 }), anyValue) },
        { requiredKeys: [] },
      )
      .map((e) => JSON.stringify(e) ?? "null"),
  },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v) ?? "null") },
  { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 40 }) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 40 }).map((d) => JSON.stringify({ ...EVENT, body: { x: 1 } }).replace('{"x":1}', nested(d))) },
  { weight: 1, arbitrary: fc.constantFrom(`{"ts":1,"entype":"u","evname":"e","body":{"n":${"9".repeat(400)}}}`, `{"ts":1e400,"entype":"u","evname":"e","body":{"n":1e400}}`) },
);

const utf8 = (s: string) => Buffer.from(s, "utf8");

/** A body shows as its size and first bytes in a counterexample, not as every byte. */
const shown = (bytes: Buffer) =>
  Object.assign(bytes, {
    [fc.toStringMethod]: () => `Buffer(${bytes.length}) ${JSON.stringify(bytes.subarray(0, 120).toString("latin1"))}${bytes.length > 120 ? "…" : ""}`,
  });

/** Request bodies: well-formed and not, as bytes. */
const body: fc.Arbitrary<Buffer | undefined> = fc.oneof<fc.Arbitrary<Buffer | undefined>[]>(
  fc.constant(undefined),
  fc.constant(Buffer.alloc(0)),
  fc.array(eventText, { maxLength: 8 }).map((events) => utf8(`[${events.join(",")}]`)),
  eventText.map(utf8),
  fc
    .array(fc.oneof(eventText, fc.constantFrom("", "   ", "\r", "garbage", "[", "}", "\u0000")), { maxLength: 8 })
    .map((lines) => utf8(lines.join("\n"))),
  fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes)),
  // Invalid UTF-8 and raw NUL bytes inside otherwise good JSON.
  fc.constantFrom([0xc3, 0x28], [0xff], [0xed, 0xa0, 0x80], [0x00], [0xf4, 0x90, 0x80, 0x80]).map((bad) =>
    Buffer.concat([utf8('{"ts":1,"entype":"u","evname":"e","body":{"s":"'), Buffer.from(bad), utf8('"}}')]),
  ),
  fc.integer({ min: 1, max: 20_000 }).map((d) => utf8(`[${"[".repeat(d)}${"]".repeat(d)}]`)),
  fc.integer({ min: 1, max: 20_000 }).map((d) => utf8(nested(d))),
  fc.constantFrom("[", "]", "[,]", "[{},]", "[{}", "{}}", "[]]", '"', '["\\', "[[[", "nul", "1e999", "[1,2,3]").map(utf8),
  // Many tiny events, under and over the per-request count limit.
  fc.integer({ min: 1, max: 3 * MAX_EVENTS }).map((n) => utf8(`[${Array(n).fill("1").join(",")}]`)),
  fc.integer({ min: 1, max: 3 * MAX_EVENTS }).map((n) => utf8(Array(n).fill(JSON.stringify(EVENT)).join("\n"))),
  // Over the body limit, by a little and by a lot.
  fc.integer({ min: 1, max: 3 * MAX_BODY }).map((extra) => utf8(JSON.stringify({ ...EVENT, body: { s: "x".repeat(MAX_BODY - 80 + extra) } }))),
  // gzip: of garbage, of good events, truncated, and a bomb.
  fc.uint8Array({ maxLength: 100 }).map((bytes) => gzipSync(Buffer.from(bytes))),
  fc.array(eventText, { maxLength: 4 }).map((events) => gzipSync(`[${events.join(",")}]`)),
  fc.integer({ min: 0, max: 40 }).map((cut) => gzipSync(JSON.stringify([EVENT, EVENT])).subarray(0, cut)),
  fc.constant(gzipSync(Buffer.alloc(4 * MAX_BODY, 0x20))),
).map((bytes) => (bytes === undefined ? undefined : shown(bytes)));

/** Mostly the usual value (so that most requests reach the events), else a listed oddity, else any text. */
const header = (usual: string | undefined, odd: (string | undefined)[]) =>
  fc.oneof(
    { weight: 12, arbitrary: fc.constant(usual) },
    { weight: 6, arbitrary: fc.constantFrom(...odd) },
    { weight: 1, arbitrary: fc.string({ maxLength: 30 }).map((s) => s.replace(/[^\x20-\x7e]/g, "")) },
  );

const request = fc.record({
  method: fc.oneof(
    { weight: 12, arbitrary: fc.constant("POST" as const) },
    { weight: 1, arbitrary: fc.constantFrom("GET" as const, "PUT" as const, "DELETE" as const, "PATCH" as const, "OPTIONS" as const, "HEAD" as const) },
  ),
  path: fc.oneof(
    { weight: 12, arbitrary: fc.constant("/v1/apps/acme/events") },
    { weight: 1, arbitrary: fc.constantFrom("ghost", "frozen", "Acme", "a%00b", "%E0%A4%A", "%", "..", "a".repeat(300), "acme%2Fevents", "").map((a) => `/v1/apps/${a}/events`) },
    { weight: 1, arbitrary: fc.string({ maxLength: 20 }).map((a) => `/v1/apps/${encodeURIComponent(a)}/events`) },
    { weight: 1, arbitrary: fc.constantFrom("/", "/v1/apps/acme/events/", "/v1/apps/acme/events?x=%ZZ", "/healthz", "/readyz", "/metrics", "/openapi.json", "//v1", "/v1/apps/acme/events#x") },
  ),
  authorization: header(`Bearer ${KEY}`, [`bearer   ${KEY}  `, "Bearer", "Bearer ", "Basic YWNtZTo=", `Bearer ${KEY} extra`, "Bearer wrong", undefined]),
  contentType: header("application/json", [
    "application/x-ndjson",
    "application/json; charset=utf-8",
    "APPLICATION/JSON",
    "application/jsonl",
    "text/plain",
    "",
    "application/json, text/plain",
    "multipart/form-data; boundary=x",
    ";",
    undefined,
  ]),
  contentEncoding: header(undefined, ["gzip", "gzip", "x-gzip", "GZIP", "identity", "br", "gzip, gzip", ""]),
  contentLength: header(undefined, ["0", "5", "-1", "abc", "99999999999", "1e3"]),
  idempotencyKey: header(undefined, ["batch-7", "", "two words", "k".repeat(201), "ключ"]),
  body,
});

type Request = typeof request extends fc.Arbitrary<infer R> ? R : never;

async function send(r: Request) {
  const headers: Record<string, string> = {};
  if (r.authorization !== undefined) headers.authorization = r.authorization;
  if (r.contentType !== undefined) headers["content-type"] = r.contentType;
  if (r.contentEncoding !== undefined) headers["content-encoding"] = r.contentEncoding;
  if (r.contentLength !== undefined) headers["content-length"] = r.contentLength;
  if (r.idempotencyKey !== undefined) headers["idempotency-key"] = r.idempotencyKey;
  return app.inject({ method: r.method, url: r.path, headers, ...(r.body === undefined ? {} : { payload: r.body }) });
}

describe("whatever a client sends, with Kafka and the registry up", () => {
  it("never answers 5xx; every refusal is coded from the catalogue, lists at most the cap, and publishes nothing", async () => {
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        const before = sent.length;
        const res = await send(r);
        expect(res.statusCode, res.body).toBeLessThan(500);
        if (res.statusCode >= 400) {
          expect(sent.length).toBe(before);
          if (r.method === "HEAD") return;
          const answer = res.json() as { code: string; errors?: unknown[]; badEvents?: number; totalErrors?: number };
          expect(Object.keys(SINK_ERRORS)).toContain(answer.code);
          expect((SINK_ERRORS as Record<string, { status: number }>)[answer.code]!.status).toBe(res.statusCode);
          if (answer.errors) {
            expect(answer.errors.length).toBeLessThanOrEqual(MAX_LISTED_PROBLEMS);
            expect(answer.totalErrors).toBeGreaterThanOrEqual(answer.errors.length);
            expect(answer.badEvents).toBeGreaterThan(0);
          }
        } else if (res.statusCode === 202) {
          const { accepted, ids } = res.json() as { accepted: number; ids: string[] };
          expect(ids).toHaveLength(accepted);
          expect(sent.slice(before).flatMap((b) => b.messages)).toHaveLength(accepted);
        }
      }),
      { numRuns: Number(process.env.SINK_FUZZ_RUNS ?? 400) },
    );
  }, 600_000);
});
