import { randomUUID } from "node:crypto";
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from "fastify";
import type { Registry } from "prom-client";
import type { AppTopics, Producer } from "@schematizer/kafka";
import { createLogger, opsRoutes, type Logger } from "@schematizer/observability";
import type { Limits } from "@schematizer/schema";
import type { Authenticate } from "./auth-cache.ts";
import { MEDIA_TYPES } from "./decode-body.ts";
import { eventsRoute } from "./events-route.ts";
import { openApiDocument } from "./openapi.ts";
import { SinkError } from "./sink-errors.ts";
import { sinkMetrics } from "./sink-metrics.ts";

export interface SinkDeps {
  producer: Producer;
  authenticate: Authenticate;
  topics: (app: string) => AppTopics;
  /** Largest request body, after decompression. */
  maxBodyBytes: number;
  /** Per-event limits (size, nesting depth). */
  limits: Limits;
  /** How long Kafka may take to acknowledge a request's events before the answer is 503. */
  produceTimeoutMs: number;
  /** Why events cannot be accepted now (e.g. Kafka unreachable), or undefined. */
  notReadyReason: () => string | undefined;
  metrics: Registry;
  /** Request errors are logged here; silent when absent. */
  log?: Logger;
  newId?: () => string;
  now?: () => number;
}

/**
 * The event-sink HTTP app, without a listening socket: `main.ts` listens, tests `inject`.
 *
 * @example
 * const app = buildApp({ producer, authenticate, topics: (a) => topicsFor(a), ... });
 * const res = await app.inject({ method: "POST", url: "/v1/apps/acme/events", ... });
 */
export function buildApp(deps: SinkDeps): FastifyInstance {
  const app: FastifyInstance = Fastify({
    loggerInstance: (deps.log ?? createLogger("event-sink", "silent")) as FastifyBaseLogger,
    bodyLimit: deps.maxBodyBytes,
    // Events are posted by machines in bulk; keep-alive connections are the norm.
    keepAliveTimeout: 65_000,
  });
  const metrics = sinkMetrics(deps.metrics);

  app.removeAllContentTypeParsers();
  app.addContentTypeParser(Object.keys(MEDIA_TYPES), { parseAs: "buffer" }, (_request, body, done) => done(null, body));

  app.setErrorHandler((error, request, reply) => {
    const sinkError = toSinkError(error);
    if (sinkError.code === "SINK_INTERNAL") request.log.error({ err: error }, "unhandled error");
    if (sinkError.code === "SINK_KAFKA_UNAVAILABLE") void reply.header("retry-after", "5");
    metrics.requestsRejected.inc({ code: sinkError.code });
    return reply.code(sinkError.status).send(sinkError.toBody());
  });
  app.setNotFoundHandler((_request, reply) => reply.code(404).send(new SinkError("SINK_NOT_FOUND").toBody()));

  opsRoutes(app, { metrics: deps.metrics, notReadyReason: deps.notReadyReason });
  app.get("/openapi.json", async () => openApiDocument(deps.maxBodyBytes, deps.limits.maxEventBytes));
  eventsRoute(app, {
    ...deps,
    metrics,
    newId: deps.newId ?? randomUUID,
    now: deps.now ?? Date.now,
  });
  return app;
}

/** Fastify's own refusals (body size, media type) in the sink's coded form. */
function toSinkError(error: unknown): SinkError {
  if (error instanceof SinkError) return error;
  const code = (error as { code?: string }).code;
  if (code === "FST_ERR_CTP_BODY_TOO_LARGE") return new SinkError("SINK_BODY_TOO_LARGE");
  if (code === "FST_ERR_CTP_INVALID_MEDIA_TYPE" || code === "FST_ERR_CTP_INVALID_CONTENT_LENGTH") {
    return new SinkError("SINK_UNSUPPORTED_MEDIA_TYPE");
  }
  if (code === "FST_ERR_CTP_EMPTY_TYPE") return new SinkError("SINK_UNSUPPORTED_MEDIA_TYPE", "no Content-Type");
  return new SinkError("SINK_INTERNAL");
}
