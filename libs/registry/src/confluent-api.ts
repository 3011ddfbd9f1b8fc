/**
 * The Confluent Schema Registry REST API, the subset that @kafkajs/confluent-schema-registry
 * and common Kafka tools use, as a fastify plugin. It is encapsulated: its content types and
 * error answers apply to its own routes only, so franz can mount it beside its other routes.
 *
 * Requests may be `application/vnd.schemaregistry.v1+json`, `application/vnd.schemaregistry+json`,
 * `application/json` or `application/octet-stream` (as Confluent accepts); anything else is
 * 415. Answers are `application/vnd.schemaregistry.v1+json`; errors are `{error_code, message}`
 * with Confluent's codes. See `subject-store.ts` for what registering means for a table's subject.
 */
import type { FastifyInstance, FastifyPluginAsync } from "fastify";
import { COMPATIBILITY_LEVELS, asCompatibilityLevel } from "./avro-compatibility.ts";
import { confluentError, toConfluentError } from "./confluent-errors.ts";
import type { SubjectStore, VersionSelector } from "./subject-store.ts";

/** Confluent's response content type. */
export const SCHEMA_REGISTRY_CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";

const JSON_BODY_TYPES = [
  "application/vnd.schemaregistry.v1+json",
  "application/vnd.schemaregistry+json",
  "application/json",
  "application/octet-stream",
];

const MAX_ID = 2 ** 31 - 1;

export interface ConfluentApiOptions {
  readonly subjects: SubjectStore;
}

interface SchemaBody {
  schema?: unknown;
  schemaType?: unknown;
  references?: unknown;
}

interface ConfigBody {
  compatibility?: unknown;
}

type SubjectParams = { subject: string };
type VersionParams = { subject: string; version: string };

/**
 * The plugin. Mount it where clients expect the registry's root.
 *
 * @example
 * ```ts
 * app.register(confluentApi, { subjects: registry.subjects });                       // at /
 * app.register(confluentApi, { subjects: registry.subjects, prefix: "/registry" });  // client host http://franz/registry
 * ```
 */
export const confluentApi: FastifyPluginAsync<ConfluentApiOptions> = async (app: FastifyInstance, options) => {
  const { subjects } = options;

  // Only JSON bodies: fastify's default text/plain parser would let a wrong content type through.
  const parseJson = app.getDefaultJsonParser("error", "ignore");
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(JSON_BODY_TYPES, { parseAs: "string" }, parseJson);
  app.addHook("onRequest", async (_request, reply) => {
    reply.type(SCHEMA_REGISTRY_CONTENT_TYPE);
  });
  app.setErrorHandler(async (error, request, reply) => {
    const { status, body } = toConfluentError(error);
    if (status >= 500) request.log.error({ err: error }, "schema registry request failed");
    return reply.code(status).type(SCHEMA_REGISTRY_CONTENT_TYPE).send(body);
  });

  app.get<{ Params: { id: string } }>("/schemas/ids/:id", async (request) => {
    const id = parseId(request.params.id);
    const schema = await subjects.schemaById(id);
    if (schema === undefined) throw schemaIdNotFound(id);
    return { schema };
  });

  app.get<{ Params: { id: string } }>("/schemas/ids/:id/schema", async (request, reply) => {
    const id = parseId(request.params.id);
    const schema = await subjects.schemaById(id);
    if (schema === undefined) throw schemaIdNotFound(id);
    return reply.send(schema);
  });

  app.get<{ Params: { id: string } }>("/schemas/ids/:id/versions", async (request) => {
    const id = parseId(request.params.id);
    const found = await subjects.subjectsOfSchema(id);
    if (found.length === 0) throw schemaIdNotFound(id);
    return found;
  });

  app.get("/schemas/types", async () => ["AVRO"]);

  app.get<{ Querystring: { subjectPrefix?: string } }>("/subjects", async (request) =>
    subjects.listSubjects(request.query.subjectPrefix ?? ""),
  );

  app.get<{ Params: SubjectParams }>("/subjects/:subject/versions", async (request) =>
    subjects.versions(request.params.subject),
  );

  app.get<{ Params: VersionParams }>("/subjects/:subject/versions/:version", async (request) =>
    subjects.version(request.params.subject, parseVersion(request.params.version)),
  );

  app.get<{ Params: VersionParams }>("/subjects/:subject/versions/:version/schema", async (request, reply) => {
    const found = await subjects.version(request.params.subject, parseVersion(request.params.version));
    return reply.send(found.schema);
  });

  app.post<{ Params: SubjectParams; Body: SchemaBody }>("/subjects/:subject", async (request) =>
    subjects.lookup(request.params.subject, schemaText(request.body)),
  );

  app.post<{ Params: SubjectParams; Body: SchemaBody }>("/subjects/:subject/versions", async (request) =>
    subjects.register(request.params.subject, schemaText(request.body)),
  );

  app.post<{ Params: VersionParams; Body: SchemaBody }>(
    "/compatibility/subjects/:subject/versions/:version",
    async (request) => ({
      is_compatible: await subjects.testCompatibility(
        request.params.subject,
        parseVersion(request.params.version),
        schemaText(request.body),
      ),
    }),
  );

  app.get("/config", async () => ({ compatibilityLevel: (await subjects.compatibility()) ?? "BACKWARD" }));

  app.put<{ Body: ConfigBody }>("/config", async (request) => ({
    compatibility: await subjects.setCompatibility(level(request.body)),
  }));

  app.get<{ Params: SubjectParams; Querystring: { defaultToGlobal?: string } }>(
    "/config/:subject",
    async (request) => {
      const own = await subjects.compatibility(request.params.subject);
      if (own !== undefined) return { compatibilityLevel: own };
      if (request.query.defaultToGlobal === "true") {
        return { compatibilityLevel: (await subjects.compatibility()) ?? "BACKWARD" };
      }
      throw confluentError(
        "SUBJECT_CONFIG_NOT_FOUND",
        `Subject '${request.params.subject}' does not have subject-level compatibility configured`,
      );
    },
  );

  app.put<{ Params: SubjectParams; Body: ConfigBody }>("/config/:subject", async (request) => ({
    compatibility: await subjects.setCompatibility(level(request.body), request.params.subject),
  }));

  app.delete<{ Params: SubjectParams }>("/config/:subject", async (request) => {
    const previous = await subjects.deleteCompatibility(request.params.subject);
    if (previous === undefined) {
      throw confluentError(
        "SUBJECT_CONFIG_NOT_FOUND",
        `Subject '${request.params.subject}' does not have subject-level compatibility configured`,
      );
    }
    return { compatibilityLevel: previous };
  });
};

function parseId(text: string): number {
  const id = /^\d{1,10}$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(id) || id < 1 || id > MAX_ID) throw schemaIdNotFound(text);
  return id;
}

function schemaIdNotFound(id: number | string) {
  return confluentError("SCHEMA_NOT_FOUND", `Schema ${id} not found`);
}

function parseVersion(text: string): VersionSelector {
  if (text === "latest" || text === "-1") return "latest";
  const n = /^\d{1,10}$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < 1 || n > MAX_ID) {
    throw confluentError(
      "INVALID_VERSION",
      `The specified version '${text}' is not a valid version id. Allowed values are between [1, 2^31-1] and the string "latest"`,
    );
  }
  return n;
}

function schemaText(body: SchemaBody | undefined): string {
  if (body === null || typeof body !== "object" || typeof body.schema !== "string" || body.schema.trim() === "") {
    throw confluentError("INVALID_SCHEMA", "Invalid schema: the body must be a JSON object with a non-empty \"schema\" string");
  }
  if (body.schemaType !== undefined && body.schemaType !== null && body.schemaType !== "AVRO") {
    throw confluentError("INVALID_SCHEMA", `Invalid schema: schema type ${String(body.schemaType)} is not supported; this registry holds AVRO`);
  }
  if (Array.isArray(body.references) && body.references.length > 0) {
    throw confluentError("INVALID_SCHEMA", "Invalid schema: schema references are not supported");
  }
  return body.schema;
}

function level(body: ConfigBody | undefined) {
  const parsed = asCompatibilityLevel(body?.compatibility);
  if (parsed === undefined) {
    throw confluentError(
      "INVALID_COMPATIBILITY_LEVEL",
      `Invalid compatibility level. Valid values are none, backward, forward, full, backward_transitive, forward_transitive, and full_transitive (got ${JSON.stringify(body?.compatibility ?? null)})`,
      { valid: COMPATIBILITY_LEVELS },
    );
  }
  return parsed;
}
