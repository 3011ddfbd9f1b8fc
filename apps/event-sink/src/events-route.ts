import type { FastifyInstance } from "fastify";
import { errorKind } from "@schematizer/errors";
import { APP_NAME_PATTERN, HEADERS } from "@schematizer/contracts";
import type { ProducedMessage } from "@schematizer/kafka";
import { parseEvent, type Event } from "@schematizer/schema";
import type { SinkDeps } from "./sink-deps.ts";
import { decodeBody, MEDIA_TYPES } from "./decode-body.ts";
import { derivedId, idempotencyKeyOf } from "./event-ids.ts";
import { ProblemTally } from "./event-problems.ts";
import { deliver, MESSAGE_OVERHEAD_BYTES, refusal } from "./deliver-events.ts";
import { SinkError } from "./sink-errors.ts";
import type { SinkMetrics } from "./sink-metrics.ts";

type RouteDeps = Omit<SinkDeps, "metrics"> & {
  metrics: SinkMetrics;
  newId: () => string;
  now: () => number;
  /** max.message.bytes of the raw topics: no produced batch is larger. */
  maxBatchBytes: number;
  /** Each route's log level. */
  logLevel: "warn" | "silent";
};

interface Params {
  app: string;
}

/** POST /v1/apps/{app}/events: all or nothing, 202 only once Kafka acknowledged every event. */
export function eventsRoute(app: FastifyInstance, deps: RouteDeps): void {
  app.post<{ Params: Params; Body: Buffer | undefined }>(
    "/v1/apps/:app/events",
    {
      logLevel: deps.logLevel,
      // Authenticate before the body is read: an unauthenticated client costs no parsing.
      onRequest: async (request) => {
        const header = request.headers.authorization;
        const match = header === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(header);
        if (!match?.[1]) throw new SinkError("SINK_AUTH_MISSING");
        // No app can have another name: refused without a lookup, and without filling the key cache.
        if (!APP_NAME_PATTERN.test(request.params.app)) throw new SinkError("SINK_AUTH_DENIED");
        let outcome;
        try {
          outcome = await deps.authenticate(request.params.app, match[1]);
        } catch (error) {
          // Names are checked above and keys compared in memory: no request can make the lookup
          // fail, so a failure is the registry's, whatever its kind (a bug shows in the error log).
          request.log[errorKind(error) === "infrastructure" ? "warn" : "error"]({ err: error }, "write-key lookup failed");
          throw new SinkError("SINK_REGISTRY_UNAVAILABLE");
        }
        if (outcome === "disabled") throw new SinkError("SINK_APP_DISABLED");
        if (outcome !== "ok") throw new SinkError("SINK_AUTH_DENIED");
      },
    },
    async (request, reply) => {
      const started = performance.now();
      const appName = request.params.app;
      const format = MEDIA_TYPES[(request.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase()];
      // Fastify parses a body only under one of these media types; a request without a body may carry any.
      if (format === undefined && request.body !== undefined) throw new SinkError("SINK_UNSUPPORTED_MEDIA_TYPE");
      const idempotencyKey = idempotencyKeyOf(request.headers["idempotency-key"]);
      const body = await decodeBody(request.body, request.headers["content-encoding"], format ?? "json", {
        maxBytes: deps.maxBodyBytes,
        maxEvents: deps.maxEvents,
      });
      const texts = body.events;

      const receivedAt = String(deps.now());
      const messages: ProducedMessage[] = new Array(texts.length);
      const ids: string[] = new Array(texts.length);
      let problems: ProblemTally | undefined;
      // Every value's bytes are within the body's; keys and ids take at most 3 bytes a character.
      let boundBytes = body.bytes;
      for (let index = 0; index < texts.length; index++) {
        const text = texts[index]!;
        const parsed = parseEvent(text, deps.limits);
        if (!parsed.ok) {
          (problems ??= new ProblemTally()).add(index, parsed.errors);
          continue;
        }
        // The request is refused: its good events need no message.
        if (problems) continue;
        const event: Event = parsed.value;
        const id = event.id ?? (idempotencyKey === undefined ? deps.newId() : derivedId(idempotencyKey, index));
        // One entity's events stay in order; without one, the id keeps a retried event on its partition.
        const key = event.enid ?? id;
        ids[index] = id;
        messages[index] = { key, value: text, headers: { [HEADERS.id]: id, [HEADERS.receivedAt]: receivedAt } };
        boundBytes += 3 * (key.length + id.length) + MESSAGE_OVERHEAD_BYTES;
      }
      if (problems) throw refusal(problems, deps.metrics);

      await deliver(deps, appName, deps.topics(appName).raw, messages, boundBytes);
      deps.metrics.requestDuration.observe({ status: "202" }, (performance.now() - started) / 1000);
      return reply.code(202).send({ accepted: messages.length, ids });
    },
  );
}
