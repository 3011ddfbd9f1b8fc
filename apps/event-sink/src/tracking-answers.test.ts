/**
 * Generated requests against the tracking API with healthy dependencies: whatever a client sends,
 * the answer is never a 5xx, every refusal carries a code of the catalogue (and every listed
 * problem one of the tracking or schema codes), a refused request publishes nothing, and an
 * accepted one publishes each of its messages once, as a native event the sqlizer accepts.
 * A longer run: SINK_FUZZ_RUNS=20000 npx vitest run --project unit apps/event-sink/src/tracking-answers.test.ts
 */
import { gzipSync } from "node:zlib";
import type { FastifyInstance } from "fastify";
import fc from "fast-check";
import { topicsFor } from "@schematizer/contracts";
import type { Producer, TopicMessages } from "@schematizer/kafka";
import { createMetricsRegistry } from "@schematizer/observability";
import { DEFAULT_LIMITS, parseEvent, SCHEMA_ERRORS } from "@schematizer/schema";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp } from "./app.ts";
import { SINK_ERRORS } from "./sink-errors.ts";
import { TRACKING_PROBLEMS } from "./tracking-problems.ts";
import { TRACKING_PATHS } from "./tracking-route.ts";

const KEY = "szk_acme";
const LIMITS = { ...DEFAULT_LIMITS, maxEventBytes: 16 * 1024, maxDepth: 8 };
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
    authenticate: async () => "unknown_app",
    lookupKey: async (key) => (key === KEY ? { outcome: "ok", app: "acme", allowedOrigins: ["https://shop.example.com"] } : { outcome: "unknown_key" }),
    topics: (a) => topicsFor(a),
    maxBodyBytes: 64 * 1024,
    maxEvents: 50,
    limits: LIMITS,
    produceTimeoutMs: 1_000,
    notReadyReason: () => undefined,
    metrics: createMetricsRegistry("event-sink", { processMetrics: false }),
  });
});
afterAll(async () => {
  await app.close();
});

const anyValue = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.string({ unit: "binary", maxLength: 20 }),
  fc.constantFrom("", " ", "\u0000", "\ud800", "2024-05-01T12:00:00Z", "9999-12-31T23:59:59Z", "0001-01-01T00:00:00Z", KEY, "szk_other", 2 ** 53 + 1, null),
);
const object = fc.dictionary(fc.string({ maxLength: 8 }), anyValue, { maxKeys: 5 });
const field = (...good: unknown[]) => fc.oneof(fc.constantFrom(...good), anyValue, object);

/** A message every call accepts, with arbitrary properties, traits and context. */
const goodMessage = fc.record({
  type: fc.constantFrom("track", "identify", "page", "screen", "group", "alias"),
  event: fc.constantFrom("Order Completed", "Signed Up"),
  userId: fc.constantFrom("u1", 42),
  groupId: fc.constant("g1"),
  previousId: fc.constant("a0"),
  messageId: fc.uuid(),
  properties: object,
  traits: object,
  context: object,
  timestamp: fc.constant("2024-05-01T12:00:00.123Z"),
});

/** Any message of the spec's fields, mostly bad. */
const anyMessage = fc.record(
  {
    type: field("track", "identify", "page", "screen", "group", "alias", "purchase"),
    event: field("Order Completed", "Signed Up"),
    userId: field("u1", 42),
    anonymousId: field("a1"),
    groupId: field("g1"),
    previousId: field("a0"),
    messageId: field("m1", "m2"),
    name: field("Home"),
    category: field("Docs"),
    properties: fc.oneof(object, anyValue),
    traits: fc.oneof(object, anyValue),
    context: fc.oneof(object, anyValue),
    integrations: fc.oneof(fc.constant({ schematizer: { entype: "account" } }), object, anyValue),
    timestamp: field("2024-05-01T12:00:00.123Z"),
    originalTimestamp: field("2024-05-01T12:00:00Z"),
    sentAt: field("2024-05-01T12:00:05Z"),
    writeKey: field(KEY),
  },
  { requiredKeys: [] },
);
const message = fc.oneof({ weight: 3, arbitrary: goodMessage }, { weight: 2, arbitrary: anyMessage });

const request = fc.record({
  path: fc.constantFrom(...Object.keys(TRACKING_PATHS)),
  body: fc.oneof(
    { weight: 4, arbitrary: message.map((m) => JSON.stringify(m)) },
    { weight: 4, arbitrary: fc.record({ batch: fc.array(message, { maxLength: 6 }), writeKey: field(KEY), context: fc.oneof(object, anyValue), sentAt: field("2024-05-01T12:00:05Z") }, { requiredKeys: ["batch"] }).map((b) => JSON.stringify(b)) },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v) ?? "null") },
    { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 40 }) },
  ),
  auth: fc.constantFrom("basic", "basic", "basic", "body", "wrong", "none"),
  contentType: fc.constantFrom("application/json", "application/json", "text/plain", "text/plain;charset=UTF-8", "application/x-ndjson"),
  gzip: fc.boolean(),
  origin: fc.constantFrom(undefined, undefined, "https://shop.example.com", "https://evil.example.com"),
});

const CODES = new Set(Object.keys(SINK_ERRORS));
const PROBLEM_CODES = new Set([...Object.keys(TRACKING_PROBLEMS), ...Object.keys(SCHEMA_ERRORS)]);

describe("generated requests to the tracking API", () => {
  it("are answered 200 or a coded 4xx, all or nothing", async () => {
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        const headers: Record<string, string> = { "content-type": r.contentType };
        if (r.auth === "basic") headers.authorization = `Basic ${Buffer.from(`${KEY}:`).toString("base64")}`;
        if (r.auth === "wrong") headers.authorization = `Basic ${Buffer.from("szk_wrong:").toString("base64")}`;
        if (r.gzip) headers["content-encoding"] = "gzip";
        if (r.origin !== undefined) headers.origin = r.origin;
        const before = sent.reduce((n, b) => n + b.messages.length, 0);
        const res = await app.inject({ method: "POST", url: r.path, headers, payload: r.gzip ? gzipSync(r.body) : r.body });
        const published = sent.slice().reduce((n, b) => n + b.messages.length, 0) - before;
        const body = res.json();
        expect(res.statusCode).toBeLessThan(500);
        if (res.statusCode === 200) {
          expect(body).toEqual({ success: true });
          const parsed = JSON.parse(r.body) as { batch?: unknown[] };
          expect(published).toBe(TRACKING_PATHS[r.path] === "batch" ? parsed.batch!.length : 1);
          for (const b of sent) for (const m of b.messages) expect(parseEvent(String(m.value), LIMITS).ok).toBe(true);
        } else {
          expect(CODES.has(body.code)).toBe(true);
          for (const problem of body.errors ?? []) expect(PROBLEM_CODES.has(problem.code)).toBe(true);
          expect(published).toBe(0);
        }
        sent.length = 0;
      }),
      { numRuns: Number(process.env.SINK_FUZZ_RUNS ?? 300) },
    );
  }, 600_000);
});
