import { gzipSync } from "node:zlib";
import type { FastifyInstance } from "fastify";
import type { Producer, TopicMessages } from "@schematizer/kafka";
import { topicsFor } from "@schematizer/kafka";
import { createMetricsRegistry } from "@schematizer/observability";
import { DEFAULT_LIMITS } from "@schematizer/schema";
import { afterEach, describe, expect, it } from "vitest";
import { buildApp, type SinkDeps } from "./app.ts";
import type { AuthOutcome } from "./auth-cache.ts";

const KEY = "k_acme_secret";
const EVENT = { ts: "2015-01-01T00:31:32Z", entype: "user", evname: "pass_mission", body: { level: 7, mission_name: "caverns", is_premium: false } };

/** Records what would be produced; `fail` makes the next sends reject like an unreachable broker. */
function recordingProducer() {
  const sent: TopicMessages[] = [];
  const state = { fail: false as false | "reject" | "hang" };
  const producer: Producer = {
    async send(batches) {
      if (state.fail === "reject") throw new Error("Connection error: connect ECONNREFUSED 127.0.0.1:9092");
      if (state.fail === "hang") return new Promise(() => undefined);
      sent.push(...batches);
    },
    async close() {},
  };
  return { producer, sent, state };
}

const apps: Record<string, AuthOutcome | "key"> = { acme: "key", other: "key", frozen: "disabled" };

let app: FastifyInstance;
afterEach(async () => {
  await app?.close();
});

function setup(overrides: Partial<SinkDeps> = {}) {
  const kafka = recordingProducer();
  let n = 0;
  app = buildApp({
    producer: kafka.producer,
    authenticate: async (name, key) => {
      const entry = apps[name];
      if (entry === undefined) return "unknown_app";
      if (entry === "disabled") return key === KEY ? "disabled" : "wrong_key";
      return key === KEY ? "ok" : "wrong_key";
    },
    topics: (a) => topicsFor(a),
    maxBodyBytes: 64 * 1024,
    limits: { ...DEFAULT_LIMITS, maxEventBytes: 16 * 1024 },
    produceTimeoutMs: 200,
    notReadyReason: () => undefined,
    metrics: createMetricsRegistry("event-sink", { processMetrics: false }),
    newId: () => `gen-${++n}`,
    now: () => 1_700_000_000_000,
    ...overrides,
  });
  return kafka;
}

function post(body: string | Buffer, headers: Record<string, string> = {}, appName = "acme") {
  return app.inject({
    method: "POST",
    url: `/v1/apps/${appName}/events`,
    headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json", ...headers },
    payload: body,
  });
}

describe("202: accepted once Kafka acknowledged", () => {
  it("accepts one event, with a generated id, the exact text as value, id and received time as headers", async () => {
    const kafka = setup();
    const text = JSON.stringify(EVENT);
    const res = await post(text);
    expect(res.statusCode).toBe(202);
    expect(res.json()).toEqual({ accepted: 1, ids: ["gen-1"] });
    expect(kafka.sent).toHaveLength(1);
    expect(kafka.sent[0]!.topic).toBe("raw.acme");
    expect(kafka.sent[0]!.messages).toEqual([
      { key: "gen-1", value: text, headers: { "sz-id": "gen-1", "sz-received-at": "1700000000000" } },
    ]);
  });

  it("accepts an array, keeps client ids, keys by enid, and forwards big integers untouched", async () => {
    const kafka = setup();
    const a = `{"id":"e1","enid":"user-9","ts":1420072292000,"entype":"user","evname":"login","body":{"big":12345678901234567890}}`;
    const b = JSON.stringify({ ...EVENT, id: "e2" });
    const res = await post(`[${a},\n ${b}]`);
    expect(res.statusCode).toBe(202);
    expect(res.json()).toEqual({ accepted: 2, ids: ["e1", "e2"] });
    const [m1, m2] = kafka.sent[0]!.messages;
    expect(m1).toMatchObject({ key: "user-9", value: a, headers: { "sz-id": "e1" } });
    expect(m2).toMatchObject({ key: "e2", value: b });
  });

  it("accepts NDJSON and gzip", async () => {
    const kafka = setup();
    const ndjson = `${JSON.stringify(EVENT)}\n\n${JSON.stringify({ ...EVENT, evname: "logout" })}\n`;
    const res = await post(gzipSync(ndjson), { "content-type": "application/x-ndjson", "content-encoding": "gzip" });
    expect(res.statusCode).toBe(202);
    expect(res.json().accepted).toBe(2);
    expect(kafka.sent[0]!.messages.map((m) => JSON.parse(String(m.value)).evname)).toEqual(["pass_mission", "logout"]);
  });

  it("answers a retry of the same events with the same ids", async () => {
    setup();
    const body = JSON.stringify([{ ...EVENT, id: "x1" }, { ...EVENT, id: "x2" }]);
    const first = await post(body);
    const second = await post(body);
    expect(second.json().ids).toEqual(first.json().ids);
  });
});

describe("400: all or nothing, every bad event listed", () => {
  it("lists each bad event by index and JSON path and publishes nothing", async () => {
    const kafka = setup();
    const body = JSON.stringify([EVENT, { ...EVENT, ts: "yesterday" }, EVENT, { entype: 3, evname: "x", body: [] }]);
    const res = await post(body);
    expect(res.statusCode).toBe(400);
    const json = res.json();
    expect(json.code).toBe("SINK_BAD_EVENTS");
    expect(json.errors.map((e: { index: number; path: string }) => [e.index, e.path])).toEqual([
      [1, "$.ts"],
      [3, "$.entype"],
      [3, "$.ts"],
      [3, "$.body"],
    ]);
    expect(kafka.sent).toEqual([]);
  });

  const matrix: [string, string | Buffer, Record<string, string>, number, string][] = [
    ["malformed JSON", '{"ts": 1, "entype": "u"', {}, 400, "SINK_BAD_EVENTS"],
    ["malformed array", '[{"a":1},]', {}, 400, "SINK_MALFORMED_BODY"],
    ["truncated gzip", gzipSync(JSON.stringify(EVENT)).subarray(0, 20), { "content-encoding": "gzip" }, 400, "SINK_BAD_GZIP"],
    ["a gzip bomb", gzipSync(Buffer.alloc(50 * 1024 * 1024, 0x20)), { "content-encoding": "gzip" }, 413, "SINK_BODY_TOO_LARGE"],
    ["nesting 10,000 deep", JSON.stringify({ ...EVENT, body: { a: 1 } }).replace('{"a":1}', `${'{"a":'.repeat(10_000)}1${"}".repeat(10_000)}`), {}, 413, "SINK_EVENT_TOO_LARGE"],
    ["nesting 40 deep", JSON.stringify({ ...EVENT, body: { a: 1 } }).replace('{"a":1}', `${'{"a":'.repeat(40)}1${"}".repeat(40)}`), {}, 400, "SINK_BAD_EVENTS"],
    ["a string over the event limit", JSON.stringify({ ...EVENT, body: { s: "x".repeat(20_000) } }), {}, 413, "SINK_EVENT_TOO_LARGE"],
    ["invalid UTF-8", Buffer.concat([Buffer.from('{"ts":1,"entype":"u","evname":"e","body":{"s":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}}')]), {}, 400, "SINK_INVALID_UTF8"],
    ["a raw NUL byte", `{"ts":1,"entype":"u","evname":"e","body":{"s":"a\u0000b"}}`, {}, 400, "SINK_BAD_EVENTS"],
    ["a NUL in the id", JSON.stringify({ ...EVENT, id: "a\u0000b" }), {}, 400, "SINK_BAD_EVENTS"],
    ["ts of the wrong type", JSON.stringify({ ...EVENT, ts: true }), {}, 400, "SINK_BAD_EVENTS"],
    ["entype of the wrong type", JSON.stringify({ ...EVENT, entype: 1 }), {}, 400, "SINK_BAD_EVENTS"],
    ["evname of the wrong type", JSON.stringify({ ...EVENT, evname: null }), {}, 400, "SINK_BAD_EVENTS"],
    ["enid of the wrong type", JSON.stringify({ ...EVENT, enid: 5 }), {}, 400, "SINK_BAD_EVENTS"],
    ["id of the wrong type", JSON.stringify({ ...EVENT, id: {} }), {}, 400, "SINK_BAD_EVENTS"],
    ["body of the wrong type", JSON.stringify({ ...EVENT, body: "text" }), {}, 400, "SINK_BAD_EVENTS"],
    ["an event that is not an object", "[1]", {}, 400, "SINK_BAD_EVENTS"],
    ["an empty body", "", {}, 400, "SINK_NO_EVENTS"],
    ["an empty array", "[]", {}, 400, "SINK_NO_EVENTS"],
    ["a body over the limit", JSON.stringify(Array.from({ length: 600 }, () => EVENT)), {}, 413, "SINK_BODY_TOO_LARGE"],
    ["another content type", "a,b", { "content-type": "text/csv" }, 415, "SINK_UNSUPPORTED_MEDIA_TYPE"],
    ["another content encoding", JSON.stringify(EVENT), { "content-encoding": "br" }, 415, "SINK_UNSUPPORTED_ENCODING"],
  ];
  for (const [what, body, headers, status, code] of matrix) {
    it(`answers ${status} ${code} to ${what}, publishing nothing`, async () => {
      const kafka = setup();
      const res = await post(body, headers);
      expect(res.statusCode).toBe(status);
      expect(res.json().code).toBe(code);
      expect(kafka.sent).toEqual([]);
    });
  }

  it("accepts a NUL character escaped inside a body string: the value is kept", async () => {
    const kafka = setup();
    const res = await post(JSON.stringify({ ...EVENT, body: { s: "a\u0000b" } }));
    expect(res.statusCode).toBe(202);
    expect(JSON.parse(String(kafka.sent[0]!.messages[0]!.value)).body.s).toBe("a\u0000b");
  });
});

describe("401/403: write keys", () => {
  it("401 without a key", async () => {
    setup();
    const res = await app.inject({ method: "POST", url: "/v1/apps/acme/events", headers: { "content-type": "application/json" }, payload: "{}" });
    expect(res.statusCode).toBe(401);
    expect(res.json().code).toBe("SINK_AUTH_MISSING");
  });

  it("403 for a wrong key, an unknown app, another app's key and a disabled app", async () => {
    const kafka = setup();
    expect((await post(JSON.stringify(EVENT), { authorization: "Bearer nope" })).json().code).toBe("SINK_AUTH_DENIED");
    expect((await post(JSON.stringify(EVENT), {}, "ghost")).statusCode).toBe(403);
    expect((await post(JSON.stringify(EVENT), {}, "frozen")).json().code).toBe("SINK_APP_DISABLED");
    expect(kafka.sent).toEqual([]);
  });
});

describe("503: Kafka cannot take the events", () => {
  it("answers 503 with Retry-After when the producer fails", async () => {
    const kafka = setup();
    kafka.state.fail = "reject";
    const res = await post(JSON.stringify(EVENT));
    expect(res.statusCode).toBe(503);
    expect(res.headers["retry-after"]).toBe("5");
    expect(res.json().code).toBe("SINK_KAFKA_UNAVAILABLE");
  });

  it("answers 503 when Kafka does not acknowledge in time", async () => {
    const kafka = setup();
    kafka.state.fail = "hang";
    const res = await post(JSON.stringify(EVENT));
    expect(res.statusCode).toBe(503);
  });
});

describe("operations", () => {
  it("serves health, readiness, metrics and the OpenAPI document", async () => {
    let reason: string | undefined = "kafka unreachable";
    setup({ notReadyReason: () => reason });
    expect((await app.inject("/healthz")).statusCode).toBe(200);
    const notReady = await app.inject("/readyz");
    expect(notReady.statusCode).toBe(503);
    expect(notReady.json().reason).toBe("kafka unreachable");
    reason = undefined;
    expect((await app.inject("/readyz")).statusCode).toBe(200);

    await post(JSON.stringify(EVENT));
    await post("[]");
    const metrics = (await app.inject("/metrics")).body;
    expect(metrics).toMatch(/sink_events_accepted_total\{app="acme",service="event-sink"\} 1/);
    expect(metrics).toMatch(/sink_requests_rejected_total\{code="SINK_NO_EVENTS",service="event-sink"\} 1/);

    const doc = (await app.inject("/openapi.json")).json();
    expect(doc.openapi).toBe("3.1.0");
    expect(Object.keys(doc.paths["/v1/apps/{app}/events"].post.responses)).toEqual(["202", "400", "401", "403", "413", "415", "503"]);
  });

  it("answers unknown routes with a coded 404", async () => {
    setup();
    const res = await app.inject("/v2/nothing");
    expect(res.statusCode).toBe(404);
    expect(res.json().code).toBe("SINK_NOT_FOUND");
  });
});
