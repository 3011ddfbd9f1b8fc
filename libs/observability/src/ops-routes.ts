import type { FastifyInstance } from "fastify";
import type { Registry } from "prom-client";

export interface OpsRoutesOptions {
  metrics: Registry;
  /** Why the service cannot serve now, or undefined when it can. */
  notReadyReason: () => string | undefined;
}

/**
 * The operational routes every service answers: `/healthz` (the process is alive), `/readyz`
 * (it can do its work: 503 with a reason otherwise) and `/metrics` (Prometheus text format).
 *
 * @example
 * opsRoutes(app, { metrics, notReadyReason: () => (kafkaUp ? undefined : "kafka unreachable") });
 */
export function opsRoutes(app: FastifyInstance, options: OpsRoutesOptions): void {
  app.get("/healthz", { logLevel: "warn" }, async () => ({ status: "ok" }));
  app.get("/readyz", { logLevel: "warn" }, async (_request, reply) => {
    const reason = options.notReadyReason();
    if (reason === undefined) return { status: "ready" };
    return reply.code(503).send({ status: "not_ready", reason });
  });
  app.get("/metrics", { logLevel: "warn" }, async (_request, reply) => {
    const text = await options.metrics.metrics();
    return reply.type(options.metrics.contentType).send(text);
  });
}
