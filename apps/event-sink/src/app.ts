import { randomUUID } from "node:crypto";
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply } from "fastify";
import { topicMessageBytes } from "@schematizer/config";
import { createLogger, opsRoutes } from "@schematizer/observability";
import { MEDIA_TYPES } from "./decode-body.ts";
import { eventsRoute } from "./events-route.ts";
import { openApiDocument } from "./openapi.ts";
import { SinkError } from "./sink-errors.ts";
import type { SinkDeps } from "./sink-deps.ts";
import { sinkMetrics } from "./sink-metrics.ts";
import { trackingRoutes } from "./tracking-route.ts";

export type { SinkDeps } from "./sink-deps.ts";

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
    // Refusals made before routing (a malformed URL, a path parameter too long) are coded too.
    frameworkErrors: (error, _request, reply) => refuse(error, reply),
  });
  const metrics = sinkMetrics(deps.metrics);
  function refuse(error: unknown, reply: FastifyReply): void {
    const sinkError = toSinkError(error);
    if (sinkError.code === "SINK_INTERNAL") reply.log.error({ err: error }, "unhandled error");
    if (sinkError.status === 503) void reply.header("retry-after", RETRY_AFTER_SECONDS);
    metrics.requestsRejected.inc({ code: sinkError.code });
    void reply.code(sinkError.status).send(sinkError.toBody());
  }

  app.removeAllContentTypeParsers();
  // text/plain: the tracking API's browser SDKs send JSON as text, a request with no preflight.
  app.addContentTypeParser([...Object.keys(MEDIA_TYPES), "text/plain"], { parseAs: "buffer" }, (_request, body, done) => done(null, body));

  app.setErrorHandler((error, _request, reply) => refuse(error, reply));
  app.setNotFoundHandler((_request, reply) => reply.code(404).send(new SinkError("SINK_NOT_FOUND").toBody()));

  opsRoutes(app, { metrics: deps.metrics, notReadyReason: deps.notReadyReason });
  app.get("/openapi.json", async () => openApiDocument({ maxBodyBytes: deps.maxBodyBytes, maxEventBytes: deps.limits.maxEventBytes, maxEvents: deps.maxEvents }));
  const routeDeps = {
    ...deps,
    metrics,
    newId: deps.newId ?? randomUUID,
    now: deps.now ?? Date.now,
    // franz gives raw topics this max.message.bytes, from the same event limit.
    maxBatchBytes: topicMessageBytes(deps.limits.maxEventBytes).raw,
    // A line per request would cost more than the request: routes log warnings and errors (and
    // count in metrics). Fastify gives a route with a level of its own a logger at that level
    // whatever the app's, so an app built without a logger keeps its routes silent.
    logLevel: deps.log === undefined ? ("silent" as const) : ("warn" as const),
  };
  eventsRoute(app, routeDeps);
  if (deps.lookupKey) trackingRoutes(app, { ...routeDeps, lookupKey: deps.lookupKey });
  return app;
}

const RETRY_AFTER_SECONDS = "5";

/** Fastify's own refusals (body size, media type, a malformed request) in the sink's coded form. */
function toSinkError(error: unknown): SinkError {
  if (error instanceof SinkError) return error;
  const { code, statusCode, message } = error as { code?: string; statusCode?: number; message?: string };
  if (code === "FST_ERR_CTP_BODY_TOO_LARGE") return new SinkError("SINK_BODY_TOO_LARGE");
  if (code === "FST_ERR_CTP_INVALID_MEDIA_TYPE") return new SinkError("SINK_UNSUPPORTED_MEDIA_TYPE");
  if (code === "FST_ERR_CTP_EMPTY_TYPE") return new SinkError("SINK_UNSUPPORTED_MEDIA_TYPE", "no Content-Type");
  // Any other refusal of the framework is about the request (e.g. a body shorter than its Content-Length).
  if (typeof statusCode === "number" && statusCode >= 400 && statusCode < 500) return new SinkError("SINK_BAD_REQUEST", message);
  return new SinkError("SINK_INTERNAL");
}

