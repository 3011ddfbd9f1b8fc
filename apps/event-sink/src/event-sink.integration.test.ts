import { kafkajsClient, topicsFor, watchKafka, type Producer } from "@schematizer/kafka";
import { createMetricsRegistry } from "@schematizer/observability";
import { DEFAULT_LIMITS } from "@schematizer/schema";
import { privateKafka, readTopic, test } from "@schematizer/testing";
import { describe, expect } from "vitest";
import { buildApp } from "./app.ts";

const KEY = "k_secret";

function sinkFor(producer: Producer, prefix: string, notReadyReason: () => string | undefined = () => undefined) {
  return buildApp({
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
