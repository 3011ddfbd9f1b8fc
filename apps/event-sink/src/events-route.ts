import type { FastifyInstance } from "fastify";
import { HEADERS, type ProducedMessage } from "@schematizer/kafka";
import { parseEvent, type Event } from "@schematizer/schema";
import type { SinkDeps } from "./app.ts";
import { decodeBody, MEDIA_TYPES } from "./decode-body.ts";
import { SinkError, type EventProblem } from "./sink-errors.ts";
import type { SinkMetrics } from "./sink-metrics.ts";

type RouteDeps = Omit<SinkDeps, "metrics"> & { metrics: SinkMetrics; newId: () => string; now: () => number };

interface Params {
  app: string;
}

/** POST /v1/apps/{app}/events: all or nothing, 202 only once Kafka acknowledged every event. */
export function eventsRoute(app: FastifyInstance, deps: RouteDeps): void {
  app.post<{ Params: Params; Body: Buffer }>(
    "/v1/apps/:app/events",
    {
      // A log line per request would cost more than the request: errors are logged, and counted in metrics.
      logLevel: "warn",
      // Authenticate before the body is read: an unauthenticated client costs no parsing.
      onRequest: async (request) => {
        const header = request.headers.authorization;
        const match = header === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(header);
        if (!match?.[1]) throw new SinkError("SINK_AUTH_MISSING");
        const outcome = await deps.authenticate(request.params.app, match[1]);
        if (outcome === "disabled") throw new SinkError("SINK_APP_DISABLED");
        if (outcome !== "ok") throw new SinkError("SINK_AUTH_DENIED");
      },
    },
    async (request, reply) => {
      const started = performance.now();
      const appName = request.params.app;
      const mediaType = (request.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
      const texts = await decodeBody(request.body, request.headers["content-encoding"], MEDIA_TYPES[mediaType]!, deps.maxBodyBytes);

      const receivedAt = String(deps.now());
      const messages: ProducedMessage[] = new Array(texts.length);
      const ids: string[] = new Array(texts.length);
      let problems: EventProblem[] | undefined;
      let tooLarge = false;
      for (let index = 0; index < texts.length; index++) {
        const text = texts[index]!;
        const parsed = parseEvent(text, deps.limits);
        if (!parsed.ok) {
          problems ??= [];
          for (const e of parsed.errors) {
            problems.push({ index, code: e.code, path: e.path, message: e.message });
            if (e.code === "EVENT_TOO_LARGE") tooLarge = true;
          }
          deps.metrics.eventsRejected.inc({ code: parsed.errors[0]!.code });
          continue;
        }
        if (problems) continue;
        const event: Event = parsed.value;
        const id = event.id ?? deps.newId();
        ids[index] = id;
        messages[index] = {
          // One entity's events stay in order; without one, the id keeps a retried event on its partition.
          key: event.enid ?? id,
          value: text,
          headers: { [HEADERS.id]: id, [HEADERS.receivedAt]: receivedAt },
        };
      }
      if (problems) {
        throw new SinkError(tooLarge ? "SINK_EVENT_TOO_LARGE" : "SINK_BAD_EVENTS", undefined, problems);
      }

      const produceStarted = performance.now();
      await produceWithin(deps, [{ topic: deps.topics(appName).raw, messages }]);
      deps.metrics.produceDuration.observe((performance.now() - produceStarted) / 1000);
      deps.metrics.eventsAccepted.inc({ app: appName }, messages.length);
      deps.metrics.requestDuration.observe({ status: "202" }, (performance.now() - started) / 1000);
      return reply.code(202).send({ accepted: messages.length, ids });
    },
  );
}

async function produceWithin(deps: RouteDeps, batches: Parameters<RouteDeps["producer"]["send"]>[0]): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new SinkError("SINK_KAFKA_UNAVAILABLE", "Kafka did not acknowledge in time")), deps.produceTimeoutMs);
  });
  try {
    await Promise.race([deps.producer.send(batches), timeout]);
  } catch (error) {
    if (error instanceof SinkError) throw error;
    throw new SinkError("SINK_KAFKA_UNAVAILABLE", (error as Error).message);
  } finally {
    clearTimeout(timer);
  }
}
