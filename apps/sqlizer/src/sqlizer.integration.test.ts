import { SchemaRegistry } from "@kafkajs/confluent-schema-registry";
import Fastify from "fastify";
import { avroDecode, confluentFrame, HEADERS, topicsFor } from "@schematizer/contracts";
import type { ConsumedMessage, ProducedMessage } from "@schematizer/kafka";
import { createLogger, createMetricsRegistry } from "@schematizer/observability";
import { confluentApi, openRegistry, type Registry } from "@schematizer/registry";
import { resolveEndpoints } from "@schematizer/stack";
import { createPool } from "@schematizer/postgres";
import { readTopic, startService, tcpProxy, test, type KafkaFixture, type IsolatedDatabase } from "@schematizer/testing";
import type pg from "pg";
import { waitFor } from "@schematizer/errors";
import { describe, expect } from "vitest";
import { createSqlizer } from "./sqlizer.ts";

const TS = "2015-01-01T00:31:32Z";

async function setup(kafka: KafkaFixture, db: IsolatedDatabase, apps: string[], partitions = 2) {
  const registry = await openRegistry({ pool: db.pool, schema: db.schema, topicPrefix: kafka.prefix });
  for (const app of apps) {
    await registry.apps.createApp(app);
    const t = topicsFor(app, kafka.prefix);
    await kafka.admin.createTopics([
      { name: t.raw, partitions },
      { name: t.sql, partitions },
      { name: t.dlq, partitions: 1 },
    ]);
  }
  return registry;
}

/** What event-sink would produce: the exact text, with id and received-time headers. */
function rawEvent(id: string, event: object | string, receivedAt = Date.UTC(2015, 0, 1, 0, 31, 40)): ProducedMessage {
  return {
    key: id,
    value: typeof event === "string" ? event : JSON.stringify(event),
    headers: { [HEADERS.id]: id, [HEADERS.receivedAt]: String(receivedAt) },
  };
}

async function produce(kafka: KafkaFixture, topic: string, messages: ProducedMessage[]) {
  const producer = await kafka.client.producer();
  for (let i = 0; i < messages.length; i += 5000) await producer.send([{ topic, messages: messages.slice(i, i + 5000) }]);
  await producer.close();
}

/** The environment of sqlizer processes working on this test's topics and registry. */
function processEnv(kafka: KafkaFixture, db: IsolatedDatabase, group: string) {
  return {
    KAFKA_BROKERS: resolveEndpoints().kafka.brokers.join(","),
    DATABASE_URL: db.url,
    REGISTRY_SCHEMA: db.schema,
    TOPIC_PREFIX: kafka.prefix,
    SQLIZER_GROUP_ID: kafka.group(group),
    SQLIZER_PORT: "0",
    SQLIZER_TOPIC_REFRESH_MS: "500",
  };
}

function inProcessSqlizer(kafka: KafkaFixture, registry: Registry, pool: pg.Pool, metrics = createMetricsRegistry("sqlizer", { processMetrics: false })) {
  return createSqlizer({
    kafka: kafka.client,
    source: registry,
    registryAnswers: () => pool.query("select 1").then(() => true),
    groupId: kafka.group("sqlizer"),
    topicPrefix: kafka.prefix,
    metrics,
    log: createLogger("sqlizer", process.env.TEST_LOG_LEVEL ?? "silent"),
    topicRefreshMs: 500,
    registryRetry: { baseDelayMs: 50, maxDelayMs: 500, maxRepeats: 3 },
  });
}

/** Rows of a sql topic decoded with libs/schema, by _sz_id. */
async function decodeRows(registry: Registry, messages: ConsumedMessage[]) {
  const rows = new Map<string, Record<string, unknown>>();
  for (const m of messages) {
    const frame = confluentFrame(m.value!)!;
    const version = (await registry.schemaById(frame.schemaId))!;
    const row = avroDecode(version.schema, frame.payload);
    const named = Object.fromEntries(version.schema.columns.map((c, i) => [c.name, row.values[i]]));
    expect(m.key!.toString()).toBe(version.schema.table);
    rows.set(String(named._sz_id), named);
  }
  return rows;
}

describe("sqlizer against the real broker and registry", () => {
  test("events of several apps and tables reach sql.<app> as typed rows any Confluent client decodes; bad ones reach dlq.<app>", async ({ kafka, db }) => {
    const registry = await setup(kafka, db, ["acme", "globex"]);
    const acme = topicsFor("acme", kafka.prefix);
    const globex = topicsFor("globex", kafka.prefix);
    await produce(kafka, acme.raw, [
      rawEvent("a1", { ts: TS, entype: "user", evname: "pass_mission", enid: "u1", body: { level: 7, mission_name: "caverns", is_premium: false } }),
      rawEvent("a2", { ts: TS, entype: "user", evname: "pass_mission", body: { level: 8, mission_name: "peaks", is_premium: true } }),
      rawEvent("a3", { ts: 1420072292000, entype: "user", evname: "login", body: { device: { os: "ios", version: "9.1" }, tags: ["a", "b"] } }),
      rawEvent("bad1", '{"ts": "2015-01-01T00:31:32Z", "entype": "user"'),
      rawEvent("bad2", { ts: TS, entype: "user", evname: "", body: {} }),
    ]);
    await produce(kafka, globex.raw, [
      // Raw text: a JavaScript number literal would already be rounded before it is sent.
      rawEvent("g1", `{"ts":"${TS}","entype":"order","evname":"placed","body":{"total":12.5,"paid_at":"2015-01-02T10:00:00Z","day":"2015-01-02","id_big":12345678901234567890}}`),
    ]);

    const sqlizer = inProcessSqlizer(kafka, registry, db.pool);
    await sqlizer.start();
    const acmeRows = await readTopic(kafka.client, acme.sql, kafka.group("read-acme"), { count: 3 });
    const globexRows = await readTopic(kafka.client, globex.sql, kafka.group("read-globex"), { count: 1 });
    const dlq = await readTopic(kafka.client, acme.dlq, kafka.group("read-dlq"), { count: 2 });
    await sqlizer.stop();

    // Decoded by the Confluent client through the registry's REST API.
    const http = Fastify();
    await http.register(confluentApi, { subjects: registry.subjects });
    await http.listen({ port: 0, host: "127.0.0.1" });
    const client = new SchemaRegistry({ host: `http://127.0.0.1:${(http.server.address() as { port: number }).port}` });
    const decoded = await Promise.all([...acmeRows, ...globexRows].map(async (m) => (await client.decode(m.value!)) as Record<string, unknown>));
    await http.close();
    const byId = new Map(decoded.map((r) => [r._sz_id, r]));

    const receivedMicros = Date.UTC(2015, 0, 1, 0, 31, 40) * 1000;
    const tsMicros = Date.UTC(2015, 0, 1, 0, 31, 32) * 1000;
    expect(byId.get("a1")).toEqual({
      _sz_id: "a1", _sz_ts: tsMicros, _sz_enid: "u1", _sz_received_at: receivedMicros, _sz_version: 1, _sz_unmapped: null,
      level: 7, mission_name: "caverns", is_premium: false,
    });
    expect(byId.get("a2")).toMatchObject({ _sz_enid: null, level: 8, mission_name: "peaks", is_premium: true });
    expect(byId.get("a3")).toMatchObject({ device__os: "ios", device__version: "9.1", tags: '["a","b"]', _sz_ts: tsMicros });
    const g1 = byId.get("g1")!;
    expect(g1).toMatchObject({ total: 12.5, paid_at: Date.UTC(2015, 0, 2, 10) * 1000, day: 16437 });
    // An integer beyond 2^53 arrives exact (Avro decimal bytes).
    const globexVersion = (await registry.current("globex", "order", "placed"))!;
    expect(globexVersion.schema.columns.find((c) => c.name === "id_big")?.type).toBe("decimal");
    const g1Row = avroDecode(globexVersion.schema, confluentFrame(globexRows[0]!.value!)!.payload);
    expect(g1Row.values[globexVersion.schema.columns.findIndex((c) => c.name === "id_big")]).toBe(12345678901234567890n);

    const reasons = new Map(dlq.map((m) => [m.headers[HEADERS.id]!.toString(), m.headers[HEADERS.errorCode]!.toString()]));
    expect(reasons).toEqual(new Map([["bad1", "EVENT_INVALID_JSON"], ["bad2", "ENVELOPE_FIELD_EMPTY"]]));
    const bad1 = dlq.find((m) => m.headers[HEADERS.id]!.toString() === "bad1")!;
    expect(bad1.value!.toString()).toBe('{"ts": "2015-01-01T00:31:32Z", "entype": "user"');
    expect(bad1.headers[HEADERS.sourceTopic]!.toString()).toBe(acme.raw);
  });

  test("evolution mid-stream gives the expected versions and _sz_unmapped content", async ({ kafka, db }) => {
    const registry = await setup(kafka, db, ["acme"]);
    const t = topicsFor("acme", kafka.prefix);
    const sqlizer = inProcessSqlizer(kafka, registry, db.pool);
    await sqlizer.start();
    const steps: [string, object][] = [
      ["e1", { score: 10 }],
      ["e2", { score: 10.5 }],
      ["e3", { score: 11, combo: true }],
      ["e4", { score: "eleven", note: "a\u0000b" }],
    ];
    for (const [i, [id, body]] of steps.entries()) {
      await produce(kafka, t.raw, [rawEvent(id, { ts: TS, entype: "game", evname: "score", body })]);
      await readTopic(kafka.client, t.sql, kafka.group(`step${i}`), { count: i + 1 });
    }
    await sqlizer.stop();

    const lineage = (await registry.lineage("acme", "_e_game__score"))!;
    expect(lineage.versions.map((v) => v.version)).toEqual([1, 2, 3, 4]);
    const types = async (version: number) =>
      Object.fromEntries(
        (await registry.version("acme", "_e_game__score", version))!.schema.columns.filter((c) => !c.name.startsWith("_sz_")).map((c) => [c.name, c.type]),
      );
    expect(await types(1)).toEqual({ score: "bigint" });
    expect(await types(2)).toEqual({ score: "double" });
    expect(await types(3)).toEqual({ score: "double", combo: "boolean" });
    expect(await types(4)).toEqual({ score: "varchar", combo: "boolean", note: "varchar" });
    expect(lineage.versions[1]!.changes.join("; ")).toMatch(/score/);

    const rows = await decodeRows(registry, await readTopic(kafka.client, t.sql, kafka.group("all"), { count: 4 }));
    expect(rows.get("e1")).toMatchObject({ score: 10, _sz_version: 1 });
    expect(rows.get("e2")).toMatchObject({ score: 10.5, _sz_version: 2 });
    expect(rows.get("e4")).toMatchObject({ score: "eleven", combo: null, note: null, _sz_version: 4 });
    // Postgres text cannot hold NUL: the value is kept, whole, in _sz_unmapped with its reason.
    expect(JSON.parse(String(rows.get("e4")!._sz_unmapped))).toEqual([{ path: ["note"], reason: "invalid_text", value: "a\u0000b" }]);
  });

  test("three sqlizer processes racing on the same new tables converge on one contiguous history holding every field", async ({ kafka, db }) => {
    const registry = await setup(kafka, db, ["acme"], 3);
    const t = topicsFor("acme", kafka.prefix);
    const fields = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta"];
    let seed = 7;
    const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
    const events = Array.from({ length: 3000 }, (_, i) => {
      const body = Object.fromEntries(fields.filter(() => random() < 0.3).map((f) => [f, random() < 0.5 ? Math.floor(random() * 100) : random()]));
      return rawEvent(`e${i}`, { ts: TS, entype: "race", evname: `kind${i % 5}`, body }, 1_420_072_300_000);
    });

    const env = processEnv(kafka, db, "racers");
    const racers = [1, 2, 3].map((n) => startService("sqlizer", { ...env, SQLIZER_INSTANCE: `racer-${n}` }));
    try {
      await Promise.all(racers.map((r) => r.waitForLog("sqlizer running")));
      // Events flow only once all three share the partitions, so they race for every table.
      await waitFor("three group members", async () => ((await kafka.admin.groupMembers(env.SQLIZER_GROUP_ID)) === 3 ? true : undefined), {
        timeoutMs: 30_000,
      });
      await produce(kafka, t.raw, events);
      const rows = await decodeRows(registry, await readTopic(kafka.client, t.sql, kafka.group("check"), {
        until: (m) => new Set(m.map((x) => x.offset + x.partition)).size >= events.length,
        timeoutMs: 90_000,
      }));
      expect(rows.size).toBe(events.length);

      const writers = new Set<string>();
      for (let k = 0; k < 5; k++) {
        const lineage = (await registry.lineage("acme", `_e_race__kind${k}`))!;
        expect(lineage.versions.map((v) => v.version)).toEqual(lineage.versions.map((_, i) => i + 1));
        for (const v of lineage.versions) writers.add(v.createdBy);
        const final = (await registry.version("acme", `_e_race__kind${k}`, "latest"))!.schema;
        const seen = new Set(events.filter((_, i) => i % 5 === k).flatMap((e) => Object.keys(JSON.parse(String(e.value)).body)));
        expect(new Set(final.columns.filter((c) => !c.name.startsWith("_sz_")).map((c) => c.name))).toEqual(seen);
      }
      // Every value is in its column: nothing went to _sz_unmapped for want of a column.
      for (const [id, row] of rows) {
        const body = JSON.parse(String(events[Number(id.slice(1))]!.value)).body as Record<string, number>;
        for (const [field, value] of Object.entries(body)) expect(row[field]).toBe(value);
        expect(row._sz_unmapped).toBeNull();
      }
      expect(writers.size).toBeGreaterThan(1);
      console.log(`3 racing sqlizers: ${events.length} rows; versions written by ${writers.size} distinct processes`);
    } finally {
      await Promise.all(racers.map((r) => r.stop()));
    }
  }, 150_000);

  test("kill -9 of one replica in the middle of a 100,000-event stream: every event reaches sql.<app> or dlq.<app>", async ({ kafka, db }) => {
    const registry = await setup(kafka, db, ["acme"], 4);
    const t = topicsFor("acme", kafka.prefix);
    const total = 100_000;
    const events = Array.from({ length: total }, (_, i) =>
      i % 100 === 99
        ? rawEvent(`e${i}`, `{"ts":"${TS}","entype":"user"`)
        : rawEvent(`e${i}`, { ts: TS, entype: "user", evname: `kind${i % 4}`, body: { n: i, s: `v${i % 13}`, f: i % 7 === 0 ? 0.5 : 1 } }),
    );

    const env = processEnv(kafka, db, "workers");
    const victim = startService("sqlizer", { ...env, SQLIZER_INSTANCE: "victim" });
    const survivor = startService("sqlizer", { ...env, SQLIZER_INSTANCE: "survivor" });
    try {
      await Promise.all([victim.waitForLog("sqlizer running"), survivor.waitForLog("sqlizer running")]);
      await waitFor("two group members", async () => ((await kafka.admin.groupMembers(env.SQLIZER_GROUP_ID)) === 2 ? true : undefined), {
        timeoutMs: 30_000,
      });
      // The stream keeps flowing while the victim dies, so it dies mid-work.
      const producer = await kafka.client.producer();
      let produced = 0;
      const streaming = (async () => {
        for (; produced < total; produced += 2000) {
          await producer.send([{ topic: t.raw, messages: events.slice(produced, produced + 2000) }]);
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      })();
      await waitFor("a third of the stream", async () => (produced >= total / 3 ? true : undefined), { timeoutMs: 60_000, intervalMs: 10 });
      await victim.kill();
      const killedAt = produced;
      await streaming;
      await producer.close();

      const idsIn = (messages: ConsumedMessage[], fromHeader: boolean) =>
        fromHeader ? messages.map((m) => m.headers[HEADERS.id]!.toString()) : [];
      const dlq = await readTopic(kafka.client, t.dlq, kafka.group("dlq"), { count: total / 100, timeoutMs: 120_000 });
      const sql = await readTopic(kafka.client, t.sql, kafka.group("sql"), {
        until: (m) => m.length >= total - total / 100,
        timeoutMs: 120_000,
      });
      // Rows carry their id inside the Avro record; dead letters in a header.
      const rowIds = new Set((await decodeRows(registry, sql)).keys());
      const dlqIds = new Set(idsIn(dlq, true));
      const missing = events.map((e) => String(e.key)).filter((id) => !rowIds.has(id) && !dlqIds.has(id));
      expect(missing).toEqual([]);
      expect(dlqIds.size).toBe(total / 100);
      console.log(`kill -9 after ${killedAt} events produced: ${rowIds.size} distinct rows (${sql.length} records, ${sql.length - rowIds.size} re-sent after the kill) + ${dlqIds.size} dead letters = ${rowIds.size + dlqIds.size} of ${total}`);
    } finally {
      await victim.kill();
      await survivor.stop();
    }
  }, 300_000);

  test("keys the registry once choked on (NUL, a lone surrogate) land as columns, and nothing around them waits: table-mates, later events, another app", async ({ kafka, db }) => {
    const registry = await setup(kafka, db, ["acme", "globex"], 1);
    const acme = topicsFor("acme", kafka.prefix);
    const globex = topicsFor("globex", kafka.prefix);
    const body = (i: number) => ({ n: i, s: `v${i}` });
    const odd = [
      rawEvent("nul-key", `{"ts":"${TS}","entype":"user","evname":"odd","body":{"a\\u0000b":1,"n":1}}`),
      rawEvent("lone-surrogate", `{"ts":"${TS}","entype":"user","evname":"odd","body":{"\\ud800":"x","n":2}}`),
    ];
    await produce(kafka, acme.raw, [
      ...[0, 1, 2].map((i) => rawEvent(`a${i}`, { ts: TS, entype: "user", evname: "odd", body: body(i) })),
      ...odd,
      ...[3, 4, 5].map((i) => rawEvent(`a${i}`, { ts: TS, entype: "user", evname: "odd", body: body(i) })),
    ]);
    await produce(kafka, globex.raw, [0, 1, 2, 3].map((i) => rawEvent(`g${i}`, { ts: TS, entype: "user", evname: "odd", body: body(i) })));

    const sqlizer = inProcessSqlizer(kafka, registry, db.pool);
    await sqlizer.start();
    try {
      // A canary after the odd ones, on the same partition and table.
      await produce(kafka, acme.raw, [rawEvent("canary", { ts: TS, entype: "user", evname: "odd", body: body(9) })]);
      const acmeIds = ["a0", "a1", "a2", "nul-key", "lone-surrogate", "a3", "a4", "a5", "canary"];
      const rows = await decodeRows(registry, await readTopic(kafka.client, acme.sql, kafka.group("acme-sql"), {
        until: (m) => m.length >= acmeIds.length,
        timeoutMs: 30_000,
      }));
      const globexRows = await decodeRows(registry, await readTopic(kafka.client, globex.sql, kafka.group("globex-sql"), { count: 4 }));
      expect([...globexRows.keys()].sort()).toEqual(["g0", "g1", "g2", "g3"]);
      expect([...rows.keys()].sort()).toEqual([...acmeIds].sort());
      // The odd keys are columns like any other: the registry stores their paths exactly.
      const version = (await registry.current("acme", "user", "odd"))!;
      const sources = version.schema.columns.flatMap((c) => c.sources.map((p) => p.join(".")));
      expect(sources).toEqual(expect.arrayContaining(["a\u0000b", "\ud800", "n", "s"]));
      expect(rows.get("nul-key")).toMatchObject({ n: 1 });
      expect((await kafka.admin.topicOffsets(acme.dlq)).map((p) => p.high)).toEqual(["0"]);
    } finally {
      await sqlizer.stop();
    }
  });

  test("rows and dead letters Kafka refuses as too large end as dead letters; the rest of the batch flows", async ({ kafka, db }) => {
    const registry = await openRegistry({ pool: db.pool, schema: db.schema, topicPrefix: kafka.prefix });
    const small = { "max.message.bytes": "3000" };
    for (const [app, dlqConfigs] of [["roomy", {}], ["tight", small]] as const) {
      await registry.apps.createApp(app);
      const t = topicsFor(app, kafka.prefix);
      await kafka.admin.createTopics([
        { name: t.raw, partitions: 1 },
        { name: t.sql, partitions: 1, configs: small },
        { name: t.dlq, partitions: 1, configs: dlqConfigs },
      ]);
      await produce(kafka, t.raw, [
        rawEvent(`${app}-1`, { ts: TS, entype: "doc", evname: "saved", body: { text: "short" } }),
        rawEvent(`${app}-big`, { ts: TS, entype: "doc", evname: "saved", body: { text: "x".repeat(5_000) } }),
        rawEvent(`${app}-2`, { ts: TS, entype: "doc", evname: "saved", body: { text: "also short" } }),
      ]);
    }
    const sqlizer = inProcessSqlizer(kafka, registry, db.pool);
    await sqlizer.start();
    try {
      for (const app of ["roomy", "tight"]) {
        const t = topicsFor(app, kafka.prefix);
        const rows = await decodeRows(registry, await readTopic(kafka.client, t.sql, kafka.group(`${app}-sql`), { count: 2 }));
        expect([...rows.keys()].sort()).toEqual([`${app}-1`, `${app}-2`]);
        const [letter] = await readTopic(kafka.client, t.dlq, kafka.group(`${app}-dlq`), { count: 1 });
        expect(letter!.headers[HEADERS.id]!.toString()).toBe(`${app}-big`);
        expect(letter!.headers[HEADERS.errorCode]!.toString()).toBe("SQLIZER_PRODUCE_REFUSED");
        if (app === "roomy") {
          expect(JSON.parse(letter!.value!.toString()).body.text).toHaveLength(5_000);
        } else {
          // Too large for its dead-letter topic as well: kept as its reason and origin.
          expect(letter!.value).toBeNull();
          expect(letter!.headers[HEADERS.valueDropped]!.toString()).toMatch(/large/i);
          expect(letter!.headers[HEADERS.sourceTopic]!.toString()).toBe(t.raw);
        }
      }
    } finally {
      await sqlizer.stop();
    }
  });

  test("a registry outage holds the events, retried with backoff and shown; none is dead-lettered for it", async ({ kafka, db }) => {
    const direct = await setup(kafka, db, ["acme"], 1);
    const t = topicsFor("acme", kafka.prefix);
    const target = new URL(db.url);
    const proxy = await tcpProxy({ host: target.hostname, port: Number(target.port) });
    const url = new URL(db.url);
    url.port = String(proxy.port);
    const pool = createPool({ connectionString: url.toString(), searchPath: db.schema, max: 4 });
    const registry = await openRegistry({ pool, schema: db.schema, topicPrefix: kafka.prefix });
    const metrics = createMetricsRegistry("sqlizer", { processMetrics: false });
    const sqlizer = inProcessSqlizer(kafka, registry, pool, metrics);
    try {
      await sqlizer.start();
      await produce(kafka, t.raw, [rawEvent("before", { ts: TS, entype: "user", evname: "first", body: { a: 1 } })]);
      await readTopic(kafka.client, t.sql, kafka.group("before"), { count: 1 });
      expect(await metrics.metrics()).toMatch(new RegExp(`sqlizer_partitions_consumed\\{topic="${t.raw.replace(/\./g, "\\.")}"[^}]*\\} 1\n`));

      await proxy.cut();
      // New tables: the registry must be asked, and cannot answer.
      await produce(kafka, t.raw, [0, 1, 2].map((i) => rawEvent(`during${i}`, { ts: TS, entype: "user", evname: `new${i}`, body: { i } })));
      await waitFor("the outage in sqlizer_registry_retries_total", async () => {
        const text = await metrics.metrics();
        return /sqlizer_registry_retries_total\{app="acme",registry="unreachable"[^}]*\} [1-9]/.test(text) ? true : undefined;
      }, { timeoutMs: 30_000 });
      expect(sqlizer.notReadyReason()).toMatch(/registry does not answer/);
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      await proxy.mend();

      const rows = await decodeRows(direct, await readTopic(kafka.client, t.sql, kafka.group("after"), { count: 4, timeoutMs: 30_000 }));
      expect([...rows.keys()].sort()).toEqual(["before", "during0", "during1", "during2"]);
      const dlq = await kafka.admin.topicOffsets(t.dlq);
      expect(dlq.map((p) => p.high)).toEqual(["0"]);
      expect(sqlizer.notReadyReason()).toBeUndefined();
    } finally {
      await sqlizer.stop();
      await pool.end();
      await proxy.close();
    }
  });
});
