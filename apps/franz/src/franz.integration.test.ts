import { spawnSync } from "node:child_process";
import path from "node:path";
import { topicMessageBytes } from "@schematizer/config";
import { deadLetterOf, HEADERS, topicsFor } from "@schematizer/contracts";
import { createKafkaClient, KAFKA_CLIENTS } from "@schematizer/kafka";
import { createLogger, createMetricsRegistry } from "@schematizer/observability";
import { openRegistry } from "@schematizer/registry";
import { repoRoot, resolveEndpoints } from "@schematizer/stack";
import { freePort, startService, test, type IsolatedDatabase, type KafkaFixture } from "@schematizer/testing";
import { describe, expect } from "vitest";
import { buildAdminApi } from "./admin-api.ts";
import { createAutoscaler } from "./autoscaler.ts";
import { franzConfigSchema } from "./config.ts";
import { createControl } from "./control.ts";

const TOKEN = "test-admin-token-0123456789";

async function franz(kafka: KafkaFixture, db: IsolatedDatabase, env: Record<string, string> = {}) {
  const config = franzConfigSchema.parse({
    FRANZ_ADMIN_TOKEN: TOKEN,
    TOPIC_PREFIX: kafka.prefix,
    FRANZ_RAW_PARTITIONS: "2",
    FRANZ_RAW_RETENTION_MS: "3600000",
    FRANZ_SQLIZER_GROUP: kafka.group("sqlizer"),
    FRANZ_BATCHER_GROUP: kafka.group("batcher"),
    // The test's own schema, which holds no ledger (a shared "batcher" schema may hold other runs').
    BATCHER_SCHEMA: db.schema,
    ...env,
  });
  const registry = await openRegistry({ pool: db.pool, schema: db.schema, topicPrefix: kafka.prefix });
  const metrics = createMetricsRegistry("franz", { processMetrics: false });
  const autoscaler = createAutoscaler({
    admin: kafka.admin,
    policy: { maxRatePerPartition: 500, maxPartitions: 8, targetUtilisation: 0.5 },
    topics: new RegExp(`^${kafka.prefix.replace(".", "\\.")}(raw|sql)\\.`),
    dryRun: false,
    log: createLogger("franz", "silent"),
    metrics,
  });
  const recovery = { dlq: { kafka: kafka.client, admin: kafka.admin, groupPrefix: kafka.prefix, topicPrefix: kafka.prefix, eventMaxBytes: config.EVENT_MAX_BYTES }, pool: db.pool };
  const control = createControl({ registry, admin: kafka.admin, config, rates: autoscaler.rates, recovery });
  const api = buildAdminApi({ control, autoscaler, registry, adminToken: TOKEN, metrics, notReadyReason: () => undefined });
  const call = (method: "GET" | "POST" | "PATCH", url: string, body?: object, token: string | null = TOKEN) =>
    api.inject({ method, url, payload: body, headers: token ? { authorization: `Bearer ${token}` } : {} });
  return { registry, autoscaler, api, call, metrics };
}

describe("franz against the real broker and registry", () => {
  test("creating an app makes its topics with the configured settings and a write key event-sink accepts until it is rotated", async ({ kafka, db }) => {
    const { call, api } = await franz(kafka, db);
    const created = await call("POST", "/v1/apps", { name: "acme", settings: { dialect: "postgres", maxColumns: 500 } });
    expect(created.statusCode).toBe(201);
    const { writeKey, topicsCreated } = created.json() as { writeKey: string; topicsCreated: string[] };
    const t = topicsFor("acme", kafka.prefix);
    expect(topicsCreated.sort()).toEqual([t.dlq, t.raw, t.sql].sort());
    const counts = await kafka.admin.partitionCounts([t.raw, t.sql, t.dlq]);
    expect([counts.get(t.raw), counts.get(t.sql), counts.get(t.dlq)]).toEqual([2, 3, 1]);
    expect((await kafka.admin.topicConfigs(t.raw))["retention.ms"]).toBe("3600000");
    expect((await kafka.admin.topicConfigs(t.dlq))["retention.ms"]).toBe(String(30 * 24 * 3600 * 1000));
    // Room for a 1 MiB event with its headers (the broker's default, 1048588, has none), and for its typed row.
    expect((await kafka.admin.topicConfigs(t.raw))["max.message.bytes"]).toBe(String(topicMessageBytes(1_048_576).raw));
    expect((await kafka.admin.topicConfigs(t.sql))["max.message.bytes"]).toBe(String(topicMessageBytes(1_048_576).sql));

    // event-sink as it runs in production, checking keys against the same registry.
    const port = await freePort();
    const sink = startService("event-sink", {
      KAFKA_BROKERS: resolveEndpoints().kafka.brokers.join(","),
      DATABASE_URL: db.url,
      REGISTRY_SCHEMA: db.schema,
      TOPIC_PREFIX: kafka.prefix,
      SINK_PORT: String(port),
      SINK_HOST: "127.0.0.1",
      SINK_AUTH_CACHE_MS: "1",
    });
    await sink.waitForLog("event-sink listening");
    const send = async (key: string) => {
      const res = await fetch(`http://127.0.0.1:${port}/v1/apps/acme/events`, {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        body: JSON.stringify({ ts: 0, entype: "user", evname: "login", body: {} }),
      });
      return { statusCode: res.status, json: async () => (await res.json()) as { code: string } };
    };
    expect((await send(writeKey)).statusCode).toBe(202);

    const rotated = await call("POST", "/v1/apps/acme/rotate-key", {});
    const newKey = (rotated.json() as { writeKey: string }).writeKey;
    expect(newKey).not.toBe(writeKey);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect((await send(writeKey)).statusCode).toBe(403);
    expect((await send(newKey)).statusCode).toBe(202);
    await call("POST", "/v1/apps/acme/disable");
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(await (await send(newKey)).json()).toMatchObject({ code: "SINK_APP_DISABLED" });

    const described = (await call("GET", "/v1/apps/acme")).json();
    expect(described).toMatchObject({ name: "acme", disabled: true, settings: { maxColumns: 500 } });
    expect(described.topics.find((x: { kind: string }) => x.kind === "raw")).toMatchObject({ partitions: 2, messages: 2 });
    expect(described.consumers.find((c: { topic: string }) => c.topic === t.raw)).toMatchObject({ lag: 2 });
    expect(await sink.stop()).toBe(0);
    await api.close();
  });

  test("partitions follow traffic: a busy app's raw topic grows, a quiet app's keeps its count", async ({ kafka, db }) => {
    const { call, autoscaler, metrics } = await franz(kafka, db, { FRANZ_RAW_PARTITIONS: "1" });
    await call("POST", "/v1/apps", { name: "busy" });
    await call("POST", "/v1/apps", { name: "quiet" });
    const busy = topicsFor("busy", kafka.prefix).raw;
    const quiet = topicsFor("quiet", kafka.prefix).raw;
    await autoscaler.tick();

    const producer = await kafka.client.producer();
    const started = Date.now();
    for (let i = 0; i < 10; i++) {
      await producer.send([{ topic: busy, messages: Array.from({ length: 1000 }, (_, j) => ({ key: `k${j}`, value: "{}" })) }]);
    }
    await producer.send([{ topic: quiet, messages: [{ value: "{}" }] }]);
    await producer.close();
    // At least a second's window, so the measured rate is a rate and not a burst.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, 1000 - (Date.now() - started))));

    const decisions = (await call("POST", "/v1/topics/rebalance")).json().decisions as { topic: string; action: string; to?: number }[];
    const forBusy = decisions.find((d) => d.topic === busy)!;
    expect(forBusy.action).toBe("grow");
    expect(decisions.find((d) => d.topic === quiet)).toMatchObject({ action: "keep" });
    const counts = await kafka.admin.partitionCounts([busy, quiet]);
    expect(counts.get(busy)).toBe(forBusy.to);
    expect(counts.get(busy)).toBeGreaterThan(1);
    expect(counts.get(quiet)).toBe(1);
    expect(autoscaler.rates().get(busy)).toBeGreaterThan(500);
    expect(await metrics.metrics()).toMatch(/franz_partition_decisions_total\{action="grow",service="franz"\} 1/);

    // A dry run reports what it would do and changes nothing.
    await autoscaler.tick();
    const after = await kafka.admin.partitionCounts([busy]);
    const dry = (await call("POST", "/v1/topics/rebalance?dryRun=true")).json().decisions as { topic: string }[];
    expect(dry.map((d) => d.topic)).toContain(busy);
    expect(await kafka.admin.partitionCounts([busy])).toEqual(after);
  });

  for (const kind of KAFKA_CLIENTS) {
    test(`repairing an app raises max.message.bytes of topics made before, keeps their other configs, and never lowers it (${kind} admin)`, async ({ kafka, db, endpoints }) => {
      const admin = await createKafkaClient(kind, { brokers: endpoints.kafka.brokers, clientId: "franz-test" }).admin();
      try {
        const registry = await openRegistry({ pool: db.pool, schema: db.schema, topicPrefix: kafka.prefix });
        const config = franzConfigSchema.parse({ FRANZ_ADMIN_TOKEN: TOKEN, TOPIC_PREFIX: kafka.prefix, FRANZ_RAW_RETENTION_MS: "3600000" });
        const control = createControl({ registry, admin, config });
        const t = topicsFor("old", kafka.prefix);
        // As an app made by an earlier franz: the topics at the broker's default size, one raised by hand beyond ours.
        await registry.apps.createApp("old");
        await admin.createTopics([
          { name: t.raw, partitions: 1, configs: { "retention.ms": "7200000", "cleanup.policy": "delete" } },
          { name: t.sql, partitions: 1 },
          { name: t.dlq, partitions: 1, configs: { "max.message.bytes": "8388608" } },
        ]);
        expect((await admin.topicConfigs(t.raw))["max.message.bytes"]).toBe("1048588");

        const results = await control.repairAllTopics();
        expect(results).toEqual([{ app: "old", repair: { topicsCreated: [], topicsResized: [t.raw, t.sql] } }]);
        const raw = await admin.topicConfigs(t.raw);
        expect(raw["max.message.bytes"]).toBe(String(topicMessageBytes(1_048_576).raw));
        expect(raw["retention.ms"]).toBe("7200000");
        expect((await admin.topicConfigs(t.sql))["max.message.bytes"]).toBe(String(topicMessageBytes(1_048_576).sql));
        expect((await admin.topicConfigs(t.dlq))["max.message.bytes"]).toBe("8388608");
        // Once up to date, a repair changes nothing.
        expect(await control.repairTopics("old")).toEqual({ topicsCreated: [], topicsResized: [] });
      } finally {
        await admin.close();
      }
    });
  }

  test("an app's caps change in place, and describe counts what waits for an operator", async ({ kafka, db }) => {
    const { call, api } = await franz(kafka, db);
    expect((await call("POST", "/v1/apps", { name: "acme", settings: { maxTables: 1 } })).statusCode).toBe(201);
    const patched = await call("PATCH", "/v1/apps/acme/settings", { maxTables: 5 });
    expect(patched.json()).toMatchObject({ name: "acme", settings: { dialect: "postgres", maxTables: 5, maxColumns: 1000 } });
    // What a sqlizer reads when it starts.
    const fresh = await openRegistry({ pool: db.pool, schema: db.schema, topicPrefix: kafka.prefix });
    expect((await fresh.app("acme")).settings).toEqual({ dialect: "postgres", maxTables: 5, maxColumns: 1000 });
    expect((await call("PATCH", "/v1/apps/acme/settings", { maxColumns: 3 })).json().code).toBe("FRANZ_INVALID_SETTINGS");
    expect((await call("PATCH", "/v1/apps/acme/settings", { dialect: "redshift" })).json().code).toBe("FRANZ_INVALID_SETTINGS");
    expect((await call("PATCH", "/v1/apps/acme/settings", {})).json().code).toBe("FRANZ_BAD_REQUEST");
    expect((await call("PATCH", "/v1/apps/ghost/settings", { maxTables: 2 })).json().code).toBe("FRANZ_UNKNOWN_APP");

    expect((await call("GET", "/v1/apps/acme")).json().recovery).toEqual({ deadLetters: { total: 0, byReason: {} }, ledger: null });
    const t = topicsFor("acme", kafka.prefix);
    const raw = (id: string) => ({ topic: t.raw, partition: 0, offset: id.slice(1), key: null, value: Buffer.from("{}"), headers: { [HEADERS.id]: Buffer.from(id) } });
    const producer = await kafka.client.producer();
    await producer.send([{ topic: t.dlq, messages: [
      deadLetterOf(raw("e1"), { code: "REGISTRY_TABLE_LIMIT", message: "full" }),
      deadLetterOf(raw("e2"), { code: "EVENT_TOO_DEEP", message: "deep" }),
      deadLetterOf(raw("e3"), { code: "REGISTRY_TABLE_LIMIT", message: "full" }),
    ] }]);
    await producer.close();
    expect((await call("GET", "/v1/apps/acme")).json().recovery).toEqual({
      deadLetters: { total: 3, byReason: { REGISTRY_TABLE_LIMIT: 2, EVENT_TOO_DEEP: 1 } },
      ledger: null,
    });
    await api.close();
  });

  test("bad input gets coded errors", async ({ kafka, db }) => {
    const { call, api } = await franz(kafka, db);
    expect((await call("POST", "/v1/apps", { name: "acme" }, null)).json()).toMatchObject({ code: "FRANZ_UNAUTHORIZED" });
    expect((await call("GET", "/v1/apps", undefined, "wrong-token")).statusCode).toBe(401);
    for (const name of ["Acme", "1acme", "a-b", "", "x".repeat(49)]) {
      const res = await call("POST", "/v1/apps", { name });
      expect(res.statusCode).toBe(400);
      expect(res.json().code).toBe("FRANZ_INVALID_APP_NAME");
    }
    expect((await call("POST", "/v1/apps", { name: "acme", settings: { maxColumns: 5 } })).json().code).toBe("FRANZ_INVALID_SETTINGS");
    expect((await call("POST", "/v1/apps", { nom: "acme" })).json().code).toBe("FRANZ_BAD_REQUEST");
    expect((await call("POST", "/v1/apps", { name: "acme" })).statusCode).toBe(201);
    const duplicate = await call("POST", "/v1/apps", { name: "acme" });
    expect(duplicate.statusCode).toBe(409);
    expect(duplicate.json().code).toBe("FRANZ_APP_EXISTS");
    expect((await call("GET", "/v1/apps/ghost")).statusCode).toBe(404);
    expect((await call("GET", "/v1/apps/acme/tables/_e_x__y/lineage")).json().code).toBe("FRANZ_UNKNOWN_TABLE");
    // The registry's API: reads are open, writes need the token.
    expect((await api.inject({ method: "GET", url: "/registry/subjects" })).statusCode).toBe(200);
    const write = await api.inject({
      method: "POST",
      url: "/registry/subjects/other-value/versions",
      headers: { "content-type": "application/vnd.schemaregistry.v1+json" },
      payload: { schema: JSON.stringify({ type: "record", name: "x", fields: [] }) },
    });
    expect(write.statusCode).toBe(401);
    await api.close();
  });

  test("the CLI creates, describes and refuses with coded errors and exit codes", async ({ kafka, db }) => {
    // The stack's broker, wherever it runs (not the CLI's default port).
    const env = { ...process.env, KAFKA_BROKERS: resolveEndpoints().kafka.brokers.join(","), DATABASE_URL: db.url, REGISTRY_SCHEMA: db.schema, TOPIC_PREFIX: kafka.prefix };
    const cli = (...args: string[]) =>
      spawnSync(process.execPath, ["--import", "tsx", path.join(repoRoot(), "apps/franz/src/cli.ts"), ...args], { env, encoding: "utf8", cwd: repoRoot() });
    const created = cli("apps", "create", "acme", "--dialect", "redshift");
    expect(created.status).toBe(0);
    expect(created.stdout).toMatch(/^created app acme \(redshift, up to 1000 columns per table\)$/m);
    expect(created.stdout).toMatch(/^write key \(shown once, store it now\): szk_\S+$/m);
    const described = JSON.parse(cli("apps", "describe", "acme", "--json").stdout);
    expect(described).toMatchObject({ name: "acme", settings: { dialect: "redshift" } });
    expect(described.topics.map((t: { kind: string }) => t.kind)).toEqual(["raw", "sql", "dlq"]);
    const duplicate = cli("apps", "create", "acme");
    expect(duplicate.status).toBe(2);
    expect(duplicate.stderr).toMatch(/FRANZ_APP_EXISTS/);
    expect(cli("apps", "create", "Nope").stderr).toMatch(/FRANZ_INVALID_APP_NAME/);
    const help = cli("--help");
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/apps create <name>/);
  });
});
