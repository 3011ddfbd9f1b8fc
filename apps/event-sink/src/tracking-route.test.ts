import { gzipSync } from "node:zlib";
import type { FastifyInstance } from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import { topicsFor } from "@schematizer/contracts";
import type { Producer, TopicMessages } from "@schematizer/kafka";
import { createMetricsRegistry } from "@schematizer/observability";
import type { KeyVerdict } from "@schematizer/registry";
import { DEFAULT_LIMITS } from "@schematizer/schema";
import { buildApp, type SinkDeps } from "./app.ts";
import { TRACKING_PATHS } from "./tracking-route.ts";

const ACME = "szk_acme_write_key";
const GLOBEX = "szk_globex_write_key";
const FROZEN = "szk_frozen_write_key";
const SHOP = "https://shop.example.com";
const KEYS: Record<string, KeyVerdict> = {
  [ACME]: { outcome: "ok", app: "acme", allowedOrigins: [SHOP, "https://*.acme.dev"] },
  [GLOBEX]: { outcome: "ok", app: "globex", allowedOrigins: [] },
  [FROZEN]: { outcome: "disabled", app: "frozen" },
};
const RECEIVED = Date.parse("2024-05-01T12:00:05Z");

let app: FastifyInstance;
afterEach(async () => {
  await app?.close();
});

function setup(overrides: Partial<SinkDeps> = {}) {
  const sent: TopicMessages[] = [];
  const kafka = { fail: false };
  const producer: Producer = {
    async send(batches) {
      if (kafka.fail) throw new Error("Connection error: connect ECONNREFUSED 127.0.0.1:9092");
      sent.push(...batches);
    },
    async close() {},
  };
  let n = 0;
  app = buildApp({
    producer,
    authenticate: async () => "wrong_key",
    lookupKey: async (key) => KEYS[key] ?? { outcome: "unknown_key" },
    topics: (a) => topicsFor(a),
    maxBodyBytes: 256 * 1024,
    maxEvents: 1_000,
    limits: { ...DEFAULT_LIMITS, maxEventBytes: 16 * 1024 },
    produceTimeoutMs: 1_000,
    notReadyReason: () => undefined,
    metrics: createMetricsRegistry("event-sink-test", { processMetrics: false }),
    newId: () => `gen-${++n}`,
    now: () => RECEIVED,
    ...overrides,
  });
  /** What was produced, by topic: each message's key, id header and native event. */
  const produced = () =>
    sent.flatMap((b) =>
      b.messages.map((m) => ({ topic: b.topic, key: m.key, id: m.headers?.["sz-id"]?.toString(), event: JSON.parse(String(m.value)) as Record<string, unknown> })),
    );
  return { sent, produced, kafka };
}

const basic = (key: string, password = "") => `Basic ${Buffer.from(`${key}:${password}`).toString("base64")}`;

function post(url: string, body: unknown, headers: Record<string, string> = { authorization: basic(ACME) }) {
  return app.inject({
    method: "POST",
    url,
    headers: { "content-type": "application/json", ...headers },
    payload: typeof body === "string" || Buffer.isBuffer(body) ? body : JSON.stringify(body),
  });
}

const TRACK = { event: "Order Completed", userId: "u1", messageId: "m1", properties: { total: 30.5 }, timestamp: "2024-05-01T12:00:00Z" };

describe("the tracking API's wire format", () => {
  it("answers 200 {success: true} for every call at its path and at the browser library's one-letter path", async () => {
    const { produced } = setup();
    const calls: [string, Record<string, unknown>, string][] = [
      ["track", TRACK, "Order Completed"],
      ["identify", { userId: "u1", traits: { email: "p@initech.com" } }, "identifies"],
      ["page", { anonymousId: "a1", name: "Home" }, "pages"],
      ["screen", { userId: "u1", name: "Settings" }, "screens"],
      ["group", { userId: "u1", groupId: "g1" }, "groups"],
      ["alias", { userId: "u1", previousId: "a1" }, "aliases"],
    ];
    for (const [call, message, evname] of calls) {
      for (const path of [`/v1/${call}`, `/v1/${call[0]}`]) {
        const res = await post(path, message);
        expect([path, res.statusCode, res.json()]).toEqual([path, 200, { success: true }]);
        expect(produced().at(-1)?.event).toMatchObject({ entype: "user", evname });
      }
    }
    expect(produced()).toHaveLength(12);
    expect(new Set(produced().map((m) => m.topic))).toEqual(new Set(["raw.acme"]));
  });

  it("produces the native event, keyed by the entity, with the messageId as the event id", async () => {
    const { produced } = setup();
    await post("/v1/track", TRACK);
    expect(produced()).toEqual([
      {
        topic: "raw.acme",
        key: "u1",
        id: "m1",
        event: { id: "m1", ts: "2024-05-01T12:00:00.000Z", entype: "user", evname: "Order Completed", enid: "u1", body: { total: 30.5, userId: "u1", timestamp: "2024-05-01T12:00:00Z" } },
      },
    ]);
  });

  it("takes a batch (and /v1/import) with its context, integrations and sentAt, and the one-letter batch path", async () => {
    const { produced } = setup();
    const batch = {
      batch: [
        { type: "identify", userId: "u1", traits: { plan: "pro" }, messageId: "b1", timestamp: "2024-05-01T12:00:10Z" },
        { type: "track", event: "Signed Up", anonymousId: "a1", messageId: "b2", context: { locale: "fr-FR" } },
      ],
      context: { ip: "8.8.8.8" },
      integrations: { schematizer: { entype: "visitor" } },
      sentAt: "2024-05-01T12:00:15Z",
    };
    for (const path of ["/v1/batch", "/v1/b", "/v1/import"]) expect((await post(path, batch)).statusCode).toBe(200);
    const [identify, track] = produced();
    expect(identify).toMatchObject({ key: "u1", id: "b1", event: { ts: "2024-05-01T12:00:00.000Z", entype: "visitor", evname: "identifies", body: { context: { ip: "8.8.8.8" } } } });
    expect(track).toMatchObject({ key: "a1", id: "b2", event: { entype: "visitor", evname: "Signed Up", body: { context: { ip: "8.8.8.8", locale: "fr-FR" } } } });
    expect(produced()).toHaveLength(6);
  });

  it("reads the key from HTTP Basic (any password, or none: the old form without a colon) or from writeKey in the body", async () => {
    const { produced } = setup();
    const noColon = `Basic ${Buffer.from(ACME).toString("base64")}`;
    for (const headers of [{ authorization: basic(ACME) }, { authorization: basic(ACME, "ignored") }, { authorization: noColon }, {}] as Record<string, string>[]) {
      expect((await post("/v1/track", { ...TRACK, writeKey: ACME }, headers)).statusCode).toBe(200);
    }
    expect((await post("/v1/batch", { writeKey: ACME, batch: [{ type: "track", ...TRACK }] }, {})).statusCode).toBe(200);
    // A batch whose key only its messages carry.
    expect((await post("/v1/batch", { batch: [{ type: "track", ...TRACK, writeKey: ACME }] }, {})).statusCode).toBe(200);
    expect(produced()).toHaveLength(6);
  });

  it("takes JSON as text/plain (the browser library's way to avoid a preflight) and gzip", async () => {
    const { produced } = setup();
    expect((await post("/v1/track", JSON.stringify(TRACK), { authorization: basic(ACME), "content-type": "text/plain;charset=UTF-8" })).statusCode).toBe(200);
    const gzipped = gzipSync(JSON.stringify({ batch: [{ type: "track", ...TRACK }] }));
    expect((await post("/v1/batch", gzipped, { authorization: basic(ACME), "content-encoding": "gzip" })).statusCode).toBe(200);
    expect(produced()).toHaveLength(2);
    const ndjson = await post("/v1/track", JSON.stringify(TRACK), { authorization: basic(ACME), "content-type": "application/x-ndjson" });
    expect([ndjson.statusCode, ndjson.json().code]).toEqual([415, "SINK_UNSUPPORTED_MEDIA_TYPE"]);
  });

  it("writes to the app whose key it is: another app's key writes to that app only", async () => {
    const { produced } = setup();
    expect((await post("/v1/track", TRACK, { authorization: basic(GLOBEX) })).statusCode).toBe(200);
    expect(produced().map((m) => m.topic)).toEqual(["raw.globex"]);
  });

  it("refuses without a key, with a wrong key, for a disabled app, and when two keys disagree, storing nothing", async () => {
    const { produced } = setup();
    const cases: [Record<string, string>, unknown, number, string][] = [
      [{}, TRACK, 401, "SINK_WRITE_KEY_MISSING"],
      [{ authorization: basic("") }, TRACK, 401, "SINK_WRITE_KEY_MISSING"],
      [{ authorization: basic("szk_guessed") }, TRACK, 403, "SINK_WRITE_KEY_UNKNOWN"],
      [{}, { ...TRACK, writeKey: "szk_guessed" }, 403, "SINK_WRITE_KEY_UNKNOWN"],
      [{ authorization: basic(FROZEN) }, TRACK, 403, "SINK_APP_DISABLED"],
      [{ authorization: basic(ACME) }, { ...TRACK, writeKey: GLOBEX }, 400, "SINK_WRITE_KEY_CONFLICT"],
      [{ authorization: basic(ACME) }, { batch: [{ type: "track", ...TRACK }], writeKey: GLOBEX }, 400, "SINK_WRITE_KEY_CONFLICT"],
    ];
    for (const [headers, body, status, code] of cases) {
      const res = await post(Object.hasOwn(body as object, "batch") ? "/v1/batch" : "/v1/track", body, headers);
      // Segment's error shape: { code, message }.
      expect([res.statusCode, res.json()]).toEqual([status, { code, message: expect.any(String) }]);
    }
    const mixed = await post("/v1/batch", { batch: [{ type: "track", ...TRACK }, { type: "track", ...TRACK, writeKey: GLOBEX }] });
    expect([mixed.statusCode, mixed.json()]).toMatchObject([400, { code: "SINK_BAD_EVENTS", errors: [{ index: 1, code: "TRACKING_WRITE_KEY_MISMATCH", path: "$.writeKey" }] }]);
    expect(produced()).toEqual([]);
  });

  it("refuses a whole batch when one message is bad, listing each problem by index and path", async () => {
    const { produced } = setup();
    const res = await post("/v1/batch", {
      batch: [{ type: "track", ...TRACK }, { type: "track", userId: "u1" }, { type: "page", name: 3 }, "x", { type: "identify", userId: "u1", traits: [] }],
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({
      code: "SINK_BAD_EVENTS",
      message: expect.any(String),
      badEvents: 4,
      totalErrors: 5,
      errors: [
        { index: 1, code: "TRACKING_EVENT_REQUIRED", path: "$.event", message: expect.any(String) },
        { index: 2, code: "TRACKING_ID_REQUIRED", path: "$", message: expect.any(String) },
        { index: 2, code: "TRACKING_FIELD_TYPE", path: "$.name", message: expect.any(String) },
        { index: 3, code: "TRACKING_NOT_OBJECT", path: "$", message: expect.any(String) },
        { index: 4, code: "TRACKING_FIELD_TYPE", path: "$.traits", message: expect.any(String) },
      ],
    });
    expect(produced()).toEqual([]);
  });

  it("refuses bodies that are not a message or a batch", async () => {
    setup();
    const cases: [string, string, number, string][] = [
      ["/v1/track", "{not json", 400, "SINK_MALFORMED_BODY"],
      ["/v1/track", "[]", 400, "SINK_MALFORMED_BODY"],
      ["/v1/batch", '{"batch":{}}', 400, "SINK_MALFORMED_BODY"],
      ["/v1/batch", '{"batch":[]}', 400, "SINK_NO_EVENTS"],
      ["/v1/batch", '{"batch":[{}],"sentAt":"now"}', 400, "SINK_MALFORMED_BODY"],
      ["/v1/batch", '{"batch":[{}],"context":[]}', 400, "SINK_MALFORMED_BODY"],
      ["/v1/track", "", 400, "SINK_NO_EVENTS"],
    ];
    for (const [url, body, status, code] of cases) {
      const res = await post(url, body);
      expect([url, body, res.statusCode, res.json().code]).toEqual([url, body, status, code]);
    }
  });

  it("applies the shared limits: messages per request, event size and depth", async () => {
    const { produced } = setup({ maxEvents: 3, limits: { ...DEFAULT_LIMITS, maxEventBytes: 1024, maxDepth: 4 } });
    const many = await post("/v1/batch", { batch: Array.from({ length: 4 }, () => ({ type: "track", ...TRACK })) });
    expect([many.statusCode, many.json().code]).toEqual([413, "SINK_TOO_MANY_EVENTS"]);
    const large = await post("/v1/track", { ...TRACK, properties: { text: "x".repeat(2000) } });
    expect([large.statusCode, large.json().code, large.json().errors[0].code]).toEqual([413, "SINK_EVENT_TOO_LARGE", "EVENT_TOO_LARGE"]);
    const deep = await post("/v1/track", { ...TRACK, properties: { a: { b: { c: { d: { e: 1 } } } } } });
    expect([deep.statusCode, deep.json().errors[0]]).toMatchObject([400, { code: "EVENT_TOO_DEEP", path: "$.properties.a.b.c.d" }]);
    expect(produced()).toEqual([]);
  });

  it("gives a message without messageId an id from the Idempotency-Key, so a resent request stores nothing twice", async () => {
    const { produced } = setup();
    const { messageId: _, ...noId } = TRACK;
    for (let attempt = 0; attempt < 2; attempt++) await post("/v1/batch", { batch: [{ type: "track", ...noId }, { type: "track", ...noId }] }, { authorization: basic(ACME), "idempotency-key": "req-7" });
    await post("/v1/track", noId);
    expect(produced().map((m) => m.id)).toEqual(["req-7:0", "req-7:1", "req-7:0", "req-7:1", "gen-1"]);
  });

  it("answers 503 with Retry-After when the registry or Kafka is away", async () => {
    const registryDown = setup({ lookupKey: async () => Promise.reject(Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" })) });
    const down = await post("/v1/track", TRACK);
    expect([down.statusCode, down.json().code, down.headers["retry-after"]]).toEqual([503, "SINK_REGISTRY_UNAVAILABLE", "5"]);
    expect(registryDown.produced()).toEqual([]);
    await app.close();
    const { kafka } = setup();
    kafka.fail = true;
    const unavailable = await post("/v1/track", TRACK);
    expect([unavailable.statusCode, unavailable.json().code, unavailable.headers["retry-after"]]).toEqual([503, "SINK_KAFKA_UNAVAILABLE", "5"]);
  });
});

describe("CORS for browser SDKs", () => {
  it("answers every tracking path's preflight with the page's origin and the headers it asks for", async () => {
    setup();
    for (const url of Object.keys(TRACKING_PATHS)) {
      const res = await app.inject({
        method: "OPTIONS",
        url,
        headers: { origin: "https://anyone.example.org", "access-control-request-method": "POST", "access-control-request-headers": "authorization,content-type" },
      });
      expect([url, res.statusCode, res.headers["access-control-allow-origin"], res.headers["access-control-allow-methods"], res.headers["access-control-allow-headers"]]).toEqual([
        url,
        204,
        "https://anyone.example.org",
        "POST",
        "authorization,content-type",
      ]);
    }
  });

  it("stores events from pages of the app's allowed origins only, and lets the page read every answer", async () => {
    const { produced } = setup();
    const from = (origin: string, key = ACME) => post("/v1/t", JSON.stringify({ ...TRACK, writeKey: key }), { origin, "content-type": "text/plain" });
    for (const origin of [SHOP, "https://eu.acme.dev", "https://a.b.acme.dev"]) {
      const res = await from(origin);
      expect([origin, res.statusCode, res.headers["access-control-allow-origin"]]).toEqual([origin, 200, origin]);
    }
    for (const [origin, key] of [["https://evil.example.com", ACME], ["https://acme.dev", ACME], ["http://shop.example.com", ACME], [SHOP, GLOBEX]] as const) {
      const res = await from(origin, key);
      expect([origin, res.statusCode, res.json().code, res.headers["access-control-allow-origin"]]).toEqual([origin, 403, "SINK_ORIGIN_DENIED", origin]);
    }
    expect(produced()).toHaveLength(3);
    // Servers send no Origin: the allowed origins do not concern them.
    expect((await post("/v1/track", TRACK, { authorization: basic(GLOBEX) })).statusCode).toBe(200);
  });
});
