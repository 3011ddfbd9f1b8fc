import { timingSafeEqual } from "node:crypto";
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyRequest } from "fastify";
import type { Registry as Metrics } from "prom-client";
import { createLogger, opsRoutes, type Logger } from "@schematizer/observability";
import { confluentApi, type AppSettings, type Registry } from "@schematizer/registry";
import type { Autoscaler } from "./autoscaler.ts";
import type { Control } from "./control.ts";
import { franzError, toFranzError } from "./franz-errors.ts";

export interface AdminApiDeps {
  control: Control;
  autoscaler: Autoscaler;
  registry: Registry;
  adminToken: string;
  metrics: Metrics;
  notReadyReason: () => string | undefined;
  log?: Logger;
}

/**
 * franz's HTTP API: apps and topics under /v1 (admin token), the registry's Confluent-compatible
 * API under /registry (reads open, so any Kafka consumer can decode sql.<app>; writes need the
 * token), and the operational routes.
 *
 * @example
 * const app = buildAdminApi({ control, autoscaler, registry, adminToken, metrics, notReadyReason });
 * await app.listen({ port: 8082 });
 */
export function buildAdminApi(deps: AdminApiDeps): FastifyInstance {
  const app: FastifyInstance = Fastify({ loggerInstance: (deps.log ?? createLogger("franz", "silent")) as FastifyBaseLogger });
  const { control } = deps;
  const authorized = (request: FastifyRequest) => tokenMatches(request.headers.authorization, deps.adminToken);

  app.setErrorHandler((error, request, reply) => {
    const coded = toFranzError(error);
    const validation = (error as { validation?: unknown }).validation !== undefined;
    if (validation) return reply.code(400).send({ code: "FRANZ_BAD_REQUEST", message: (error as Error).message });
    if (coded.status >= 500) request.log.error({ err: error }, "admin request failed");
    return reply.code(coded.status).send({ code: coded.code, message: coded.message });
  });
  app.setNotFoundHandler((_request, reply) => reply.code(404).send({ code: "FRANZ_NOT_FOUND", message: "no such route" }));
  opsRoutes(app, { metrics: deps.metrics, notReadyReason: deps.notReadyReason });

  void app.register(async (registryApi) => {
    registryApi.addHook("onRequest", async (request, reply) => {
      if (request.method !== "GET" && request.method !== "HEAD" && !authorized(request)) {
        // In the registry's own error shape, which Confluent clients read.
        return reply.code(401).send({ error_code: 40101, message: "writing to the registry needs the admin token" });
      }
    });
    await registryApi.register(confluentApi, { subjects: deps.registry.subjects });
  }, { prefix: "/registry" });

  void app.register(async (v1) => {
    v1.addHook("onRequest", async (request) => {
      if (!authorized(request)) throw franzError("FRANZ_UNAUTHORIZED", "send the admin token as Authorization: Bearer <token>");
    });

    v1.post<{ Body: { name: string; settings?: Partial<AppSettings> } }>(
      "/apps",
      {
        schema: {
          body: {
            type: "object",
            required: ["name"],
            additionalProperties: false,
            properties: {
              name: { type: "string" },
              settings: {
                type: "object",
                additionalProperties: false,
                properties: {
                  dialect: { type: "string", enum: ["postgres", "redshift"] },
                  maxColumns: { type: "integer" },
                  maxTables: { type: "integer" },
                },
              },
            },
          },
        },
      },
      async (request, reply) => reply.code(201).send(await control.createApp(request.body.name, request.body.settings)),
    );
    v1.get("/apps", async () => ({ apps: await control.listApps() }));
    v1.get<{ Params: { app: string } }>("/apps/:app", async (request) => control.describeApp(request.params.app));
    v1.post<{ Params: { app: string }; Body: { graceSeconds?: number } | undefined }>(
      "/apps/:app/rotate-key",
      async (request) => control.rotateKey(request.params.app, request.body?.graceSeconds),
    );
    v1.post<{ Params: { app: string } }>("/apps/:app/disable", async (request) => control.disableApp(request.params.app));
    v1.post<{ Params: { app: string } }>("/apps/:app/enable", async (request) => control.enableApp(request.params.app));
    v1.put<{ Params: { app: string }; Body: { origins: string[] } }>(
      "/apps/:app/allowed-origins",
      {
        schema: {
          body: {
            type: "object",
            required: ["origins"],
            additionalProperties: false,
            properties: { origins: { type: "array", items: { type: "string" } } },
          },
        },
      },
      async (request) => control.setAllowedOrigins(request.params.app, request.body.origins),
    );
    v1.patch<{ Params: { app: string }; Body: Partial<AppSettings> }>(
      "/apps/:app/settings",
      {
        schema: {
          body: {
            type: "object",
            additionalProperties: false,
            minProperties: 1,
            // The dialect is named so that the store refuses it with its reason, rather than dropped unseen.
            properties: { maxColumns: { type: "integer" }, maxTables: { type: "integer" }, dialect: { type: "string" } },
          },
        },
      },
      async (request) => control.updateSettings(request.params.app, request.body),
    );
    v1.post<{ Params: { app: string } }>("/apps/:app/repair-topics", async (request) => control.repairTopics(request.params.app));
    v1.get<{ Params: { app: string; table: string } }>("/apps/:app/tables/:table/lineage", async (request) =>
      control.lineage(request.params.app, request.params.table),
    );
    v1.post<{ Querystring: { dryRun?: string } }>("/topics/rebalance", async (request) => ({
      decisions: await deps.autoscaler.tick(request.query.dryRun === "true" || request.query.dryRun === "1"),
    }));
  }, { prefix: "/v1" });

  return app;
}

function tokenMatches(header: string | undefined, token: string): boolean {
  const match = header === undefined ? null : /^Bearer\s+(\S+)$/i.exec(header);
  if (!match) return false;
  const given = Buffer.from(match[1]!);
  const wanted = Buffer.from(token);
  return given.length === wanted.length && timingSafeEqual(given, wanted);
}
