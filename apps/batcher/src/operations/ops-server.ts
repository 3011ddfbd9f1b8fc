import Fastify, { type FastifyInstance } from "fastify";
import { opsRoutes } from "@schematizer/observability";
import type { Registry } from "prom-client";

/**
 * The batcher's HTTP surface: only the operational routes.
 *
 * @example
 * ```ts
 * const app = buildOpsServer({ metrics, notReadyReason: () => batcher.notReadyReason() });
 * await app.listen({ port: 8082 });
 * ```
 */
export function buildOpsServer(options: { metrics: Registry; notReadyReason: () => string | undefined }): FastifyInstance {
  const app = Fastify({ logger: false });
  opsRoutes(app, options);
  return app;
}
