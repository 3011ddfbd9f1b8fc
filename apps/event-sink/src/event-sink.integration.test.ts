import { topicMessageBytes } from "@schematizer/config";
import { topicsFor } from "@schematizer/contracts";
import { createKafkaClient, KAFKA_CLIENTS, kafkajsClient, watchKafka, type Producer } from "@schematizer/kafka";
import { createMetricsRegistry } from "@schematizer/observability";
import { DEFAULT_LIMITS } from "@schematizer/schema";
import { createPool } from "@schematizer/postgres";
import { openRegistry } from "@schematizer/registry";
import { privateKafka, readTopic, tcpProxy, test } from "@schematizer/testing";
import { describe, expect } from "vitest";
import { buildApp } from "./app.ts";
import { cachedAuthenticate } from "./auth-cache.ts";

const KEY = "k_secret";

function sinkFor(producer: Producer, prefix: string, notReadyReason: () => string | undefined = () => undefined) {
  return buildApp({
    maxEvents: 100_000,
    producer,
    authenticate: async (app, key) => (app === "acme" ? (key === KEY ? "ok" : "wrong_key") : "unknown_app"),
    topics: (app) => topicsFor(app, prefix),
    maxBodyBytes: 5 * 1024 * 1024,
    limits: DEFAULT_LIMITS,
    produceTimeoutMs: 3_000,
    notReadyReason,
    metrics: createMetricsRegistry("event-sink", { processMetrics: false }),
  });
}

const MiB = 1024 * 1024;

describe("event-sink against the real registry database", () => {
  test("while the registry's Postgres is unreachable, a request answers 503 with Retry-After, and 403 for a wrong key once it is back", async ({ kafka, db }) => {
    await kafka.createTopic("raw.acme", 1);
    const url = new URL(db.url);
    const proxy = await tcpProxy({ host: url.hostname, port: Number(url.port) });
    url.port = String(proxy.port);
    const pool = createPool({ connectionString: url.toString(), max: 2, applicationName: "sink-registry-test" });
    const producer = await kafka.client.producer();
    try {
      const registry = await openRegistry({ pool, schema: db.schema, topicPrefix: kafka.prefix });
      const { key } = await registry.apps.createApp("acme");
      const app = buildApp({
        producer,
        authenticate: cachedAuthenticate((name, k) => registry.apps.authenticate(name, k), { ttlMs: 1 }),
        topics: (name) => topicsFor(name, kafka.prefix),
        maxBodyBytes: MiB,
        maxEvents: 1_000,
        limits: DEFAULT_LIMITS,
        produceTimeoutMs: 3_000,
        notReadyReason: () => undefined,
        metrics: createMetricsRegistry("event-sink", { processMetrics: false }),
      });
      const post = (writeKey: string) =>
        app.inject({
          method: "POST",
          url: "/v1/apps/acme/events",
          headers: { authorization: `Bearer ${writeKey}`, "content-type": "application/json" },
          payload: JSON.stringify({ ts: 0, entype: "user", evname: "login", body: {} }),
        });
      expect((await post(key)).statusCode).toBe(202);

      await proxy.cut();
      await new Promise((resolve) => setTimeout(resolve, 5));
      const down = await post(key);
      expect(down.statusCode, down.body).toBe(503);
      expect(down.headers["retry-after"]).toBe("5");
      expect(down.json().code).toBe("SINK_REGISTRY_UNAVAILABLE");

      await proxy.mend();
      await new Promise((resolve) => setTimeout(resolve, 5));
      expect((await post("not-the-key")).statusCode).toBe(403);
      expect((await post(key)).statusCode).toBe(202);
      await app.close();
    } finally {
      await producer.close();
      await pool.end();
      await proxy.close();
    }
  });
});

describe("event-sink against the real broker: Kafka's record size limit", () => {
  for (const kind of KAFKA_CLIENTS) {
    test(`events at the size limit, and 1.8 MB for one entity in one request, land in a topic sized from the shared limit (${kind})`, async ({ kafka, endpoints }) => {
      const topic = await kafka.createTopic("raw.acme", 2, { "max.message.bytes": String(topicMessageBytes(DEFAULT_LIMITS.maxEventBytes).raw) });
      const producer = await createKafkaClient(kind, { brokers: endpoints.kafka.brokers, clientId: "sink-size-test" }).producer();
      const app = sinkFor(producer, kafka.prefix);
      const post = (payload: string, contentType = "application/json") =>
        app.inject({ method: "POST", url: "/v1/apps/acme/events", headers: { authorization: `Bearer ${KEY}`, "content-type": contentType }, payload });

      // One event of exactly the limit: its id and received-at headers take it past the broker's default (1048588).
      const envelope = `{"id":"big-1","ts":0,"entype":"user","evname":"blob","body":{"s":""}}`;
      const atLimit = envelope.replace('"s":""', `"s":"${"x".repeat(DEFAULT_LIMITS.maxEventBytes - envelope.length)}"`);
      expect(Buffer.byteLength(atLimit)).toBe(DEFAULT_LIMITS.maxEventBytes);
      const big = await post(atLimit);
      expect(big.statusCode, big.body).toBe(202);

      // 3,000 events of one entity: a single batch for one partition would be 1.8 MB.
      const many = Array.from({ length: 3_000 }, (_, n) => JSON.stringify({ id: `e${n}`, enid: "user-1", ts: 0, entype: "user", evname: "tick", body: { n, pad: "p".repeat(500) } }));
      const bulk = await post(many.join("\n"), "application/x-ndjson");
      expect(bulk.statusCode, bulk.body).toBe(202);

      const messages = await readTopic(kafka.client, topic, kafka.group("check"), { count: 3_001, timeoutMs: 60_000 });
      expect(messages.find((m) => m.headers["sz-id"]!.toString() === "big-1")!.value!.length).toBe(DEFAULT_LIMITS.maxEventBytes);
      // One entity's events keep their order across the batches they were cut into.
      const ticks = messages.filter((m) => m.key?.toString() === "user-1").map((m) => m.headers["sz-id"]!.toString());
      expect(ticks).toEqual(many.map((_, n) => `e${n}`));
      await app.close();
      await producer.close();
    });

    test(`a topic left at the broker's default answers an event it cannot hold with 413, never 503 (${kind})`, async ({ kafka, endpoints }) => {
      await kafka.createTopic("raw.acme", 1);
      const producer = await createKafkaClient(kind, { brokers: endpoints.kafka.brokers, clientId: "sink-size-test" }).producer();
      const app = sinkFor(producer, kafka.prefix);
      const res = await app.inject({
        method: "POST",
        url: "/v1/apps/acme/events",
        headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json" },
        payload: JSON.stringify({ ts: 0, entype: "user", evname: "blob", body: { s: "x".repeat(MiB - 100) } }),
      });
      expect(res.statusCode).toBe(413);
      expect(res.json().code).toBe("SINK_RECORD_TOO_LARGE");
      await app.close();
      await producer.close();
    });
  }
});

describe("event-sink against the real broker", () => {
  test("events land in raw.<app> with their key, headers and exact body", async ({ kafka }) => {
    const topic = await kafka.createTopic("raw.acme", 3);
    const producer = await kafka.client.producer();
    const app = sinkFor(producer, kafka.prefix);
    const events = [
      `{"id":"a1","enid":"user-1","ts":"2015-01-01T00:31:32Z","entype":"user","evname":"pass_mission","body":{"level":7,"big":18446744073709551615}}`,
      `{"ts":1420072292000,"entype":"user","evname":"login","body":{}}`,
    ];
    const before = Date.now();
    const res = await app.inject({
      method: "POST",
      url: "/v1/apps/acme/events",
      headers: { authorization: `Bearer ${KEY}`, "content-type": "application/x-ndjson" },
      payload: events.join("\n"),
    });
    expect(res.statusCode).toBe(202);
    const { ids } = res.json() as { ids: string[] };
    expect(ids[0]).toBe("a1");
    expect(ids[1]).toMatch(/^[0-9a-f-]{36}$/);

    const messages = await readTopic(kafka.client, topic, kafka.group("check"), { count: 2 });
    const byId = new Map(messages.map((m) => [m.headers["sz-id"]!.toString(), m]));
    expect(byId.get("a1")!.key!.toString()).toBe("user-1");
    expect(byId.get("a1")!.value!.toString()).toBe(events[0]);
    expect(byId.get(ids[1]!)!.key!.toString()).toBe(ids[1]);
    expect(byId.get(ids[1]!)!.value!.toString()).toBe(events[1]);
    for (const m of messages) {
      const receivedAt = Number(m.headers["sz-received-at"]!.toString());
      expect(receivedAt).toBeGreaterThanOrEqual(before);
      expect(receivedAt).toBeLessThanOrEqual(Date.now());
    }
    await app.close();
    await producer.close();
  });

  test(
    "with the broker stopped mid-run it answers 503 and not ready; afterwards every 202'd event is in the topic",
    async ({ kafka: fixture }) => {
      const broker = await privateKafka();
      try {
        await broker.start();
        const client = kafkajsClient({ brokers: broker.brokers, clientId: "sink-test", retries: 1, requestTimeoutMs: 2_000, connectionTimeoutMs: 1_000 });
        const admin = await client.admin();
        const topic = `${fixture.prefix}raw.acme`;
        await admin.createTopics([{ name: topic, partitions: 2 }]);
        const producer = await client.producer();
        const health = await watchKafka(client, 250);
        const app = sinkFor(producer, fixture.prefix, health.notReadyReason);
        await app.listen({ port: 0, host: "127.0.0.1" });
        const url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;

        const accepted = new Set<string>();
        const statuses = new Map<number, number>();
        let sent = 0;
        const send = async () => {
          const batch = Array.from({ length: 20 }, () => ({ id: `e${sent++}`, ts: Date.now(), entype: "user", evname: "tick", body: { n: sent } }));
          const res = await fetch(`${url}/v1/apps/acme/events`, {
            method: "POST",
            headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json" },
            body: JSON.stringify(batch),
          });
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
          if (res.status === 202) for (const id of ((await res.json()) as { ids: string[] }).ids) accepted.add(id);
          else await res.arrayBuffer();
          return res.status;
        };

        for (let i = 0; i < 10; i++) expect(await send()).toBe(202);
        await broker.stop();
        let sawNotReady = false;
        const outageEnds = Date.now() + 8_000;
        while (Date.now() < outageEnds) {
          await send();
          if ((await fetch(`${url}/readyz`)).status === 503) sawNotReady = true;
        }
        expect(statuses.get(503) ?? 0).toBeGreaterThan(0);
        expect(sawNotReady).toBe(true);

        await broker.start();
        const recovered = Date.now() + 60_000;
        let after = 0;
        while (after < 10 && Date.now() < recovered) if ((await send()) === 202) after++;
        expect(after).toBe(10);
        expect((await fetch(`${url}/readyz`)).status).toBe(200);

        // Read back with a client of default retries: the sink's is made to fail fast, and a group
        // coordinator can take a while to load on a broker that has just restarted.
        const reader = kafkajsClient({ brokers: broker.brokers, clientId: "sink-test-verify" });
        const messages = await readTopic(reader, topic, fixture.group("verify"), {
          until: (m) => new Set(m.map((x) => x.headers["sz-id"]!.toString())).size >= accepted.size,
          timeoutMs: 90_000,
        });
        const inTopic = new Set(messages.map((m) => m.headers["sz-id"]!.toString()));
        const missing = [...accepted].filter((id) => !inTopic.has(id));
        expect(missing).toEqual([]);
        console.log(`broker outage: ${JSON.stringify(Object.fromEntries(statuses))} answers, ${accepted.size} events accepted, all ${accepted.size} found in the topic`);

        await app.close();
        await health.stop();
        await producer.close();
        await admin.close();
      } finally {
        await broker.dispose();
      }
    },
    180_000,
  );
});
