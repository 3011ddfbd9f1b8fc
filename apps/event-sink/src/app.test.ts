import { gzipSync } from "node:zlib";
import type { FastifyInstance } from "fastify";
import type { Producer, TopicMessages } from "@schematizer/kafka";
import { topicsFor } from "@schematizer/contracts";
import { createMetricsRegistry } from "@schematizer/observability";
import { DEFAULT_LIMITS } from "@schematizer/schema";
import { afterEach, describe, expect, it } from "vitest";
import { topicMessageBytes } from "@schematizer/config";
import { buildApp, type SinkDeps } from "./app.ts";
import { cachedAuthenticate, type AuthOutcome } from "./auth-cache.ts";
import { MAX_LISTED_PROBLEMS } from "./event-problems.ts";
import { recordBytes } from "@schematizer/kafka";

const KEY = "k_acme_secret";
const MAX_EVENTS = 5_000;
const EVENT = { ts: "2015-01-01T00:31:32Z", entype: "user", evname: "pass_mission", body: { level: 7, mission_name: "caverns", is_premium: false } };

/**
 * Records what would be produced. `fail` makes the next sends reject like an unreachable broker,
 * hang, store the first half of the messages and then fail (a timeout after a partial write), or
 * be refused by the broker as too large (as kafkajs or @platformatic/kafka report it).
 */
function recordingProducer() {
  const sent: TopicMessages[] = [];
  const state = { fail: false as false | "reject" | "hang" | "half" | "too-large-kafkajs" | "too-large-platformatic" };
  const producer: Producer = {
    async send(batches) {
      if (state.fail === "reject") throw new Error("Connection error: connect ECONNREFUSED 127.0.0.1:9092");
      if (state.fail === "hang") return new Promise(() => undefined);
      if (state.fail === "half") {
        sent.push(...batches.map((b) => ({ topic: b.topic, messages: b.messages.slice(0, b.messages.length >> 1) })));
        throw Object.assign(new Error("Request Produce(version: 7) timed out"), { name: "KafkaJSRequestTimeoutError", retriable: true });
      }
      if (state.fail === "too-large-kafkajs") {
        throw Object.assign(new Error("The request included a message larger than the max message size the server will accept"), {
          name: "KafkaJSProtocolError",
          type: "MESSAGE_TOO_LARGE",
          code: 10,
          retriable: false,
        });
      }
      if (state.fail === "too-large-platformatic") {
        const protocol = Object.assign(new Error("The request included a message larger than the max message size the server will accept."), {
          code: "PLT_KFK_PROTOCOL",
          apiId: "MESSAGE_TOO_LARGE",
          apiCode: 10,
          canRetry: false,
        });
        const response = Object.assign(new AggregateError([protocol], "Received response with error while executing API Produce(v11)"), { code: "PLT_KFK_RESPONSE" });
        throw Object.assign(new AggregateError([response], "Producing messages failed."), { code: "PLT_KFK_MULTIPLE" });
      }
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
    maxEvents: MAX_EVENTS,
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
    ["a body longer than its Content-Length", JSON.stringify(EVENT), { "content-length": "5" }, 400, "SINK_BAD_REQUEST"],
    ["an Idempotency-Key with a space", JSON.stringify(EVENT), { "idempotency-key": "two words" }, 400, "SINK_BAD_IDEMPOTENCY_KEY"],
    ["an Idempotency-Key of 201 characters", JSON.stringify(EVENT), { "idempotency-key": "k".repeat(201) }, 400, "SINK_BAD_IDEMPOTENCY_KEY"],
    ["more events than the per-request limit", Array(MAX_EVENTS + 1).fill("{}").join("\n"), { "content-type": "application/x-ndjson" }, 413, "SINK_TOO_MANY_EVENTS"],
    ["more events than the per-request limit, in an array", `[${Array(MAX_EVENTS + 1).fill("1").join(",")}]`, {}, 413, "SINK_TOO_MANY_EVENTS"],
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

describe("requests the generated-input test found (sink-answers.test.ts), each once a 500 or an uncoded answer", () => {
  it("answers a POST with no body and no Content-Type with a coded 400", async () => {
    const kafka = setup();
    const res = await app.inject({ method: "POST", url: "/v1/apps/acme/events", headers: { authorization: `Bearer ${KEY}` } });
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe("SINK_NO_EVENTS");
    expect(kafka.sent).toEqual([]);
  });

  it("answers a body behind Content-Length: 0 without a Content-Type with a coded 400", async () => {
    setup();
    const res = await app.inject({
      method: "POST",
      url: "/v1/apps/acme/events",
      headers: { authorization: `Bearer ${KEY}`, "content-length": "0" },
      payload: JSON.stringify(EVENT),
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe("SINK_NO_EVENTS");
  });

  it("answers a malformed percent-encoding in the path with a coded 400", async () => {
    setup();
    const res = await app.inject({ method: "POST", url: "/v1/apps/%/events", headers: { authorization: `Bearer ${KEY}` }, payload: "{}" });
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe("SINK_BAD_REQUEST");
  });

  it("answers an app name longer than the router takes with a coded 400", async () => {
    setup();
    const res = await post(JSON.stringify(EVENT), {}, "a".repeat(300));
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe("SINK_BAD_REQUEST");
  });

  it("refuses a name no app can have without asking the registry", async () => {
    let lookups = 0;
    setup({
      authenticate: async () => {
        lookups++;
        return "ok";
      },
    });
    for (const name of ["Acme", "a%00b", "9lives", "a-b"]) expect((await post(JSON.stringify(EVENT), {}, name)).json().code).toBe("SINK_AUTH_DENIED");
    expect(lookups).toBe(0);
  });
});

describe("503: the registry cannot check the write key", () => {
  it("answers 503 SINK_REGISTRY_UNAVAILABLE with Retry-After while the lookup fails, and 403 for a wrong key once it answers", async () => {
    let failure: Error | undefined = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:54329"), { code: "ECONNREFUSED" });
    const kafka = setup({
      authenticate: async (_app, key) => {
        if (failure) throw failure;
        return key === KEY ? "ok" : "wrong_key";
      },
    });
    const down = await post(JSON.stringify(EVENT));
    expect(down.statusCode).toBe(503);
    expect(down.headers["retry-after"]).toBe("5");
    expect(down.json().code).toBe("SINK_REGISTRY_UNAVAILABLE");
    // A request cannot make the lookup fail (names are checked first, keys compared in memory): any failure is the registry's.
    failure = Object.assign(new Error('relation "registry.apps" does not exist'), { code: "42P01" });
    expect((await post(JSON.stringify(EVENT))).json().code).toBe("SINK_REGISTRY_UNAVAILABLE");
    expect(kafka.sent).toEqual([]);

    failure = undefined;
    expect((await post(JSON.stringify(EVENT), { authorization: "Bearer nope" })).statusCode).toBe(403);
    expect((await post(JSON.stringify(EVENT))).statusCode).toBe(202);
  });

  it("does not remember a failed lookup as a verdict", async () => {
    let calls = 0;
    const flaky = async (): Promise<AuthOutcome> => {
      if (++calls === 1) throw Object.assign(new Error("Connection terminated unexpectedly"), {});
      return "ok";
    };
    setup({ authenticate: cachedAuthenticate(flaky, { ttlMs: 60_000 }) });
    expect((await post(JSON.stringify(EVENT))).statusCode).toBe(503);
    expect((await post(JSON.stringify(EVENT))).statusCode).toBe(202);
  });
});

describe("400: the problems of many bad events, listed up to a cap and counted", () => {
  it("lists the first 100 problems of 24,000 bad events and counts every bad event and every problem", async () => {
    const kafka = setup({ maxEvents: 50_000 });
    // "1" has one problem (not an object); "{}" has four (entype, evname, ts and body missing).
    const res = await post(`[${Array(12_000).fill("1,{}").join(",")}]`);
    expect(res.statusCode).toBe(400);
    const json = res.json();
    expect(json.code).toBe("SINK_BAD_EVENTS");
    expect(json.errors).toHaveLength(MAX_LISTED_PROBLEMS);
    expect(json.errors[0]).toMatchObject({ index: 0, code: "ENVELOPE_NOT_OBJECT" });
    expect(json.errors.at(-1).index).toBe(39);
    expect(json.badEvents).toBe(24_000);
    expect(json.totalErrors).toBe(12_000 + 4 * 12_000);
    expect(kafka.sent).toEqual([]);
  });

  it("counts only the bad events of a request that also holds good ones", async () => {
    setup();
    const res = await post(JSON.stringify([EVENT, { ...EVENT, ts: "yesterday" }, EVENT]));
    expect(res.json()).toMatchObject({ code: "SINK_BAD_EVENTS", badEvents: 1, totalErrors: 1, errors: [{ index: 1, path: "$.ts" }] });
  });
});

describe("exactly once: Idempotency-Key", () => {
  it("gives each event without an id the id <key>:<index>; an event's own id wins", async () => {
    const kafka = setup();
    const res = await post(JSON.stringify([EVENT, { ...EVENT, id: "mine" }, EVENT]), { "idempotency-key": "batch-7" });
    expect(res.statusCode).toBe(202);
    expect(res.json().ids).toEqual(["batch-7:0", "mine", "batch-7:2"]);
    expect(kafka.sent[0]!.messages.map((m) => [m.key, m.headers!["sz-id"]])).toEqual([
      ["batch-7:0", "batch-7:0"],
      ["mine", "mine"],
      ["batch-7:2", "batch-7:2"],
    ]);
  });

  it("after a 503 that stored half of the request, the resent request stores each event under the id it had: nothing twice", async () => {
    const kafka = setup();
    const body = JSON.stringify(Array.from({ length: 10 }, (_, n) => ({ ...EVENT, body: { n } })));
    kafka.state.fail = "half";
    const first = await post(body, { "idempotency-key": "batch-7" });
    expect(first.statusCode).toBe(503);
    expect(first.json().code).toBe("SINK_KAFKA_UNAVAILABLE");
    expect(kafka.sent.flatMap((b) => b.messages)).toHaveLength(5);

    kafka.state.fail = false;
    const second = await post(body, { "idempotency-key": "batch-7" });
    expect(second.statusCode).toBe(202);
    const valuesById = new Map<string, Set<string>>();
    for (const m of kafka.sent.flatMap((b) => b.messages)) {
      const id = String(m.headers!["sz-id"]);
      valuesById.set(id, (valuesById.get(id) ?? new Set()).add(String(m.value)));
    }
    // 15 messages stored, 10 ids: a load that keeps one row per id keeps each event once.
    expect(valuesById.size).toBe(10);
    for (const values of valuesById.values()) expect(values.size).toBe(1);
  });
});

describe("Kafka's record size limit", () => {
  for (const client of ["kafkajs", "platformatic"] as const) {
    it(`answers 413 SINK_RECORD_TOO_LARGE, not 503, when the broker refuses the batch for its size (as ${client} reports it)`, async () => {
      const kafka = setup();
      kafka.state.fail = `too-large-${client}`;
      const res = await post(JSON.stringify(EVENT));
      expect(res.statusCode).toBe(413);
      expect(res.json().code).toBe("SINK_RECORD_TOO_LARGE");
      expect(res.headers["retry-after"]).toBeUndefined();
    });
  }

  it("keeps every batch it sends within the raw topic's max.message.bytes, in request order", async () => {
    const kafka = setup();
    // 53 KB of events: with their keys, headers and framing, more than the 80 KB a raw batch may hold here.
    const events = Array.from({ length: 400 }, (_, n) => JSON.stringify({ ...EVENT, enid: "user-1", body: { n, pad: "x".repeat(20) } }));
    const res = await post(`[${events.join(",")}]`);
    expect(res.statusCode).toBe(202);
    expect(kafka.sent.length).toBeGreaterThan(1);
    const budget = topicMessageBytes(16 * 1024).raw;
    for (const batch of kafka.sent) expect(batch.messages.reduce((sum, m) => sum + recordBytes(m), 0)).toBeLessThanOrEqual(budget);
    expect(kafka.sent.flatMap((b) => b.messages.map((m) => m.value))).toEqual(events);
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
    // The tracking API too.
    expect(Object.keys(doc.paths["/v1/batch"].post.responses)).toEqual(["200", "400", "401", "403", "413", "415", "503"]);
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(["/v1/track", "/v1/t", "/v1/identify", "/v1/page", "/v1/screen", "/v1/group", "/v1/alias", "/v1/import"]));
  });

  it("answers unknown routes with a coded 404", async () => {
    setup();
    const res = await app.inject("/v2/nothing");
    expect(res.statusCode).toBe(404);
    expect(res.json().code).toBe("SINK_NOT_FOUND");
  });
});
