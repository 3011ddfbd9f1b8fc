import { SchemaRegistry } from "@kafkajs/confluent-schema-registry";
import { avroDecode, confluentEncode, confluentFrame } from "@schematizer/contracts";
import { coerce, observe, type Event } from "@schematizer/schema";
import { test } from "@schematizer/testing";
import Fastify, { type FastifyInstance, type InjectOptions } from "fastify";
import { describe, expect } from "vitest";
import { confluentApi, SCHEMA_REGISTRY_CONTENT_TYPE } from "./confluent-api.ts";
import { openRegistry, type Registry } from "./registry.ts";

const SUBJECT = "sql.acme-schematizer._e_user__pass_mission";

async function serve(registry: Registry): Promise<{ app: FastifyInstance; host: string }> {
  const app = Fastify();
  await app.register(confluentApi, { subjects: registry.subjects });
  await app.listen({ port: 0, host: "127.0.0.1" });
  const address = app.server.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  return { app, host: `http://127.0.0.1:${address.port}` };
}

async function withTable(registry: Registry) {
  await registry.apps.createApp("acme");
  const v1 = (await registry.evolve("acme", "user", "pass_mission", observe({ level: 7, mission_name: "caverns" }))).version;
  const v2 = (await registry.evolve("acme", "user", "pass_mission", observe({ level: 7.5, is_premium: false }))).version;
  return { v1, v2 };
}

describe("the Confluent client against the registry", () => {
  test("finds a table's versions by subject, id and schema, and decodes rows sqlizer encoded", async ({ db }) => {
    const registry = await openRegistry({ pool: db.pool, schema: db.schema });
    const { v1, v2 } = await withTable(registry);
    const { app, host } = await serve(registry);
    try {
      const client = new SchemaRegistry({ host, retry: { retries: 0 } });
      expect(await client.getLatestSchemaId(SUBJECT)).toBe(v2.id);
      expect(await client.getRegistryId(SUBJECT, 1)).toBe(v1.id);
      expect(await client.getRegistryIdBySchema(SUBJECT, { type: "record", ...(v1.avro as object) } as never)).toBe(v1.id);

      // A row as sqlizer writes it: coerced against v2, framed with v2's id.
      const event: Event = { ts: 1_420_072_292_000_000, entype: "user", evname: "pass_mission", body: { level: 7.5, mission_name: "caverns", is_premium: true } };
      const { row } = coerce(v2.schema, event, { id: "e1", receivedAt: 1_420_072_293_000_000 });
      const message = confluentEncode(v2.id, v2.schema, row);
      const decoded = (await client.decode(message)) as Record<string, unknown>;
      expect(decoded).toMatchObject({ _sz_id: "e1", level: 7.5, mission_name: "caverns", is_premium: true, _sz_version: 2 });

      // And the other way: a record the client encodes decodes with libs/schema.
      const encoded = await client.encode(v2.id, decoded);
      const frame = confluentFrame(encoded);
      expect(frame?.schemaId).toBe(v2.id);
      expect(avroDecode(v2.schema, frame?.payload ?? new Uint8Array()).values).toEqual(row.values);
    } finally {
      await app.close();
    }
  });

  test("registering a table's own version returns its id; any other schema there is refused", async ({ db }) => {
    const registry = await openRegistry({ pool: db.pool, schema: db.schema });
    const { v2 } = await withTable(registry);
    const { app, host } = await serve(registry);
    try {
      const client = new SchemaRegistry({ host, retry: { retries: 0 } });
      // The same schema written differently (pretty-printed, namespace apart) is the same schema.
      const respelled = JSON.stringify(v2.avro, null, 2);
      expect(await client.register({ type: "AVRO" as never, schema: respelled } as never, { subject: SUBJECT })).toEqual({ id: v2.id });
      const other = { type: "record", name: "_e_user__pass_mission", namespace: "schematizer", fields: [{ name: "x", type: "string" }] };
      await expect(client.register(other as never, { subject: SUBJECT })).rejects.toMatchObject({ status: 409 });
      // The client set the subject's level after its first registration.
      expect(await registry.subjects.compatibility(SUBJECT)).toBe("BACKWARD");
    } finally {
      await app.close();
    }
  });

  test("plain subjects register, evolve under their compatibility level, and round-trip records", async ({ db }) => {
    const registry = await openRegistry({ pool: db.pool, schema: db.schema });
    const { app, host } = await serve(registry);
    try {
      const client = new SchemaRegistry({ host, retry: { retries: 0 } });
      const v1 = { type: "record", name: "Payment", namespace: "com.acme", fields: [{ name: "amount", type: "long" }] } as const;
      const { id } = await client.register(v1 as never);
      expect(await client.register(v1 as never)).toEqual({ id });
      const payload = { amount: 1250 };
      expect(await client.decode(await client.encode(id, payload))).toEqual(payload);

      const v2 = { ...v1, fields: [...v1.fields, { name: "currency", type: "string", default: "EUR" }] };
      const second = await client.register(v2 as never);
      expect(second.id).toBeGreaterThan(id);
      expect(await client.getLatestSchemaId("com.acme.Payment")).toBe(second.id);
      expect(await client.getRegistryId("com.acme.Payment", 1)).toBe(id);

      // A new field without a default cannot read the old data: refused under BACKWARD.
      const breaking = { ...v1, fields: [...v1.fields, { name: "payer", type: "string" }] };
      await expect(client.register(breaking as never)).rejects.toMatchObject({ status: 409 });

      // The same schema in another subject gets the same id.
      expect(await client.register(v1 as never, { subject: "payments-value" })).toEqual({ id });
    } finally {
      await app.close();
    }
  });
});

describe("the API's answers", () => {
  async function injected(registry: Registry) {
    const app = Fastify();
    await app.register(confluentApi, { subjects: registry.subjects });
    return app;
  }

  test("lists subjects and versions, serves schemas by id and version", async ({ db }) => {
    const registry = await openRegistry({ pool: db.pool, schema: db.schema });
    const { v1, v2 } = await withTable(registry);
    const app = await injected(registry);
    await app.inject({
      method: "POST",
      url: "/subjects/payments-value/versions",
      headers: { "content-type": "application/json" },
      payload: { schema: '"string"' },
    });

    const subjects = await app.inject({ method: "GET", url: "/subjects" });
    expect(subjects.headers["content-type"]).toContain(SCHEMA_REGISTRY_CONTENT_TYPE);
    expect(subjects.json()).toEqual(["payments-value", SUBJECT]);
    expect((await app.inject({ method: "GET", url: "/subjects?subjectPrefix=sql." })).json()).toEqual([SUBJECT]);
    expect((await app.inject({ method: "GET", url: `/subjects/${SUBJECT}/versions` })).json()).toEqual([1, 2]);
    expect((await app.inject({ method: "GET", url: `/subjects/${SUBJECT}/versions/latest` })).json()).toEqual({
      subject: SUBJECT,
      version: 2,
      id: v2.id,
      schema: JSON.stringify(v2.avro),
    });
    expect((await app.inject({ method: "GET", url: `/subjects/${SUBJECT}/versions/1/schema` })).json()).toEqual(v1.avro);
    expect((await app.inject({ method: "GET", url: `/schemas/ids/${v1.id}` })).json()).toEqual({ schema: JSON.stringify(v1.avro) });
    expect((await app.inject({ method: "GET", url: `/schemas/ids/${v1.id}/versions` })).json()).toEqual([{ subject: SUBJECT, version: 1 }]);
    expect((await app.inject({ method: "GET", url: "/schemas/types" })).json()).toEqual(["AVRO"]);
    const lookup = await app.inject({
      method: "POST",
      url: `/subjects/${SUBJECT}`,
      headers: { "content-type": "application/vnd.schemaregistry+json" },
      payload: { schema: JSON.stringify(v1.avro) },
    });
    expect(lookup.json()).toMatchObject({ subject: SUBJECT, version: 1, id: v1.id });
  });

  test("errors carry Confluent's status and error_code", async ({ db }) => {
    const registry = await openRegistry({ pool: db.pool, schema: db.schema });
    const { v1 } = await withTable(registry);
    const app = await injected(registry);
    const vnd = { "content-type": SCHEMA_REGISTRY_CONTENT_TYPE };
    const cases: [string, InjectOptions, number, number][] = [
      ["unknown id", { method: "GET", url: "/schemas/ids/999999" }, 404, 40403],
      ["id that is not a number", { method: "GET", url: "/schemas/ids/abc" }, 404, 40403],
      ["unknown subject", { method: "GET", url: "/subjects/nope/versions" }, 404, 40401],
      ["latest of an unknown subject", { method: "GET", url: "/subjects/nope/versions/latest" }, 404, 40401],
      ["missing version", { method: "GET", url: `/subjects/${SUBJECT}/versions/99` }, 404, 40402],
      ["version 0", { method: "GET", url: `/subjects/${SUBJECT}/versions/0` }, 422, 42202],
      ["version that is not a number", { method: "GET", url: `/subjects/${SUBJECT}/versions/first` }, 422, 42202],
      ["lookup in an unknown subject", { method: "POST", url: "/subjects/nope", headers: vnd, payload: { schema: '"string"' } }, 404, 40401],
      ["lookup of an unknown schema", { method: "POST", url: `/subjects/${SUBJECT}`, headers: vnd, payload: { schema: '"string"' } }, 404, 40403],
      ["schema that is not JSON", { method: "POST", url: "/subjects/x/versions", headers: vnd, payload: { schema: "{not json" } }, 422, 42201],
      ["schema that is not Avro", { method: "POST", url: "/subjects/x/versions", headers: vnd, payload: { schema: '{"type":"record"}' } }, 422, 42201],
      ["body without a schema", { method: "POST", url: "/subjects/x/versions", headers: vnd, payload: {} }, 422, 42201],
      ["another schema type", { method: "POST", url: "/subjects/x/versions", headers: vnd, payload: { schema: "{}", schemaType: "PROTOBUF" } }, 422, 42201],
      ["wrong content type", { method: "POST", url: "/subjects/x/versions", headers: { "content-type": "text/plain" }, payload: '{"schema":"\\"string\\""}' }, 415, 415],
      ["unparsable body", { method: "POST", url: "/subjects/x/versions", headers: vnd, payload: "{" }, 400, 400],
      ["a foreign schema in a table's subject", { method: "POST", url: `/subjects/${SUBJECT}/versions`, headers: vnd, payload: { schema: '"string"' } }, 409, 40901],
      ["a table subject before its table exists", { method: "POST", url: "/subjects/sql.acme-schematizer._e_x__y/versions", headers: vnd, payload: { schema: JSON.stringify(v1.avro) } }, 409, 40901],
      ["unknown compatibility level", { method: "PUT", url: "/config", headers: vnd, payload: { compatibility: "LAX" } }, 422, 42203],
      ["subject without its own level", { method: "GET", url: `/config/${SUBJECT}` }, 404, 40408],
    ];
    for (const [what, request, status, code] of cases) {
      const response = await app.inject(request);
      expect({ what, status: response.statusCode, body: response.json() as unknown }).toMatchObject({
        what,
        status,
        body: { error_code: code, message: expect.any(String) as unknown },
      });
      expect(response.headers["content-type"]).toContain(SCHEMA_REGISTRY_CONTENT_TYPE);
    }
  });

  test("compatibility levels: global and per subject, as Confluent answers them", async ({ db }) => {
    const registry = await openRegistry({ pool: db.pool, schema: db.schema });
    const app = await injected(registry);
    const vnd = { "content-type": SCHEMA_REGISTRY_CONTENT_TYPE };
    expect((await app.inject({ method: "GET", url: "/config" })).json()).toEqual({ compatibilityLevel: "BACKWARD" });
    expect((await app.inject({ method: "PUT", url: "/config", headers: vnd, payload: { compatibility: "full" } })).json()).toEqual({
      compatibility: "FULL",
    });
    expect((await app.inject({ method: "GET", url: "/config/s?defaultToGlobal=true" })).json()).toEqual({ compatibilityLevel: "FULL" });
    await app.inject({ method: "PUT", url: "/config/s", headers: vnd, payload: { compatibility: "NONE" } });
    expect((await app.inject({ method: "GET", url: "/config/s" })).json()).toEqual({ compatibilityLevel: "NONE" });

    // Under NONE anything goes; under FORWARD_TRANSITIVE every earlier version must read the new one.
    const post = (subject: string, schema: unknown) =>
      app.inject({ method: "POST", url: `/subjects/${subject}/versions`, headers: vnd, payload: { schema: JSON.stringify(schema) } });
    expect((await post("s", "string")).statusCode).toBe(200);
    expect((await post("s", "long")).statusCode).toBe(200);
    await app.inject({ method: "PUT", url: "/config/t", headers: vnd, payload: { compatibility: "FORWARD_TRANSITIVE" } });
    expect((await post("t", "int")).statusCode).toBe(200);
    expect((await post("t", "long")).json()).toMatchObject({ error_code: 40901 });
    const check = await app.inject({
      method: "POST",
      url: "/compatibility/subjects/t/versions/latest",
      headers: vnd,
      payload: { schema: '"long"' },
    });
    expect(check.json()).toEqual({ is_compatible: false });
    expect((await app.inject({ method: "DELETE", url: "/config/t" })).json()).toEqual({ compatibilityLevel: "FORWARD_TRANSITIVE" });
  });
});
