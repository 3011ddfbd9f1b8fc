import type { FastifyInstance, FastifyRequest } from "fastify";
import { errorKind } from "@schematizer/errors";
import { HEADERS } from "@schematizer/contracts";
import type { ProducedMessage } from "@schematizer/kafka";
import { isOriginAllowed, type KeyVerdict } from "@schematizer/registry";
import { millisToMicros } from "@schematizer/schema";
import type { SinkDeps } from "./sink-deps.ts";
import type { LookupKey } from "./auth-cache.ts";
import { decodeText } from "./decode-body.ts";
import { deliver, MESSAGE_OVERHEAD_BYTES, refusal } from "./deliver-events.ts";
import { derivedId, idempotencyKeyOf } from "./event-ids.ts";
import { ProblemTally } from "./event-problems.ts";
import { SinkError } from "./sink-errors.ts";
import type { SinkMetrics } from "./sink-metrics.ts";
import { answerHeaders, preflightHeaders } from "./tracking-cors.ts";
import { toNativeEvent, type TrackingCall } from "./tracking-message.ts";
import { basicAuthKey, readTrackingBody, requestWriteKey, type TrackingBody } from "./tracking-request.ts";

type RouteDeps = Omit<SinkDeps, "metrics" | "lookupKey"> & {
  lookupKey: LookupKey;
  metrics: SinkMetrics;
  newId: () => string;
  now: () => number;
  maxBatchBytes: number;
  /** Each route's log level. */
  logLevel: "warn" | "silent";
};

/**
 * Every path of the tracking API and what it takes: one call, or a batch. The one-letter paths
 * are those Segment's browser library posts to; `/v1/import` is the batch endpoint by the name
 * used for historical data.
 */
export const TRACKING_PATHS: Readonly<Record<string, TrackingCall | "batch">> = {
  "/v1/track": "track",
  "/v1/t": "track",
  "/v1/identify": "identify",
  "/v1/i": "identify",
  "/v1/page": "page",
  "/v1/p": "page",
  "/v1/screen": "screen",
  "/v1/s": "screen",
  "/v1/group": "group",
  "/v1/g": "group",
  "/v1/alias": "alias",
  "/v1/a": "alias",
  "/v1/batch": "batch",
  "/v1/b": "batch",
  "/v1/import": "batch",
};

const TRACKING_MEDIA_TYPES = new Set(["application/json", "text/plain"]);
const SUCCESS = { success: true } as const;

/**
 * The Segment-compatible tracking API (see tracking-message.ts for the mapping): the app is the
 * write key's, sent as HTTP Basic user name or as `writeKey` in the body; JSON as
 * application/json or text/plain, gzip allowed; 200 `{"success":true}` once Kafka acknowledged
 * every message, and the native endpoint's coded answers, all or nothing, otherwise.
 */
export function trackingRoutes(app: FastifyInstance, deps: RouteDeps): void {
  // The Basic header's verdict, looked up before the body is read.
  const early = new WeakMap<FastifyRequest, Promise<KeyVerdict>>();

  for (const [path, call] of Object.entries(TRACKING_PATHS)) {
    app.options(path, { logLevel: deps.logLevel }, async (request, reply) => {
      const requested = request.headers["access-control-request-headers"];
      void reply.headers(preflightHeaders(request.headers.origin, typeof requested === "string" ? requested : undefined));
      return reply.code(204).send();
    });

    app.post<{ Body: Buffer | undefined }>(
      path,
      {
        logLevel: deps.logLevel,
        onRequest: async (request, reply) => {
          // Set first, so that every answer, refusals included, is readable by the page.
          void reply.headers(answerHeaders(request.headers.origin));
          const basic = basicAuthKey(request.headers.authorization);
          if (basic === undefined) return;
          const verdict = lookup(deps, request, basic);
          early.set(request, verdict);
          appOf(await verdict, request.headers.origin);
        },
      },
      async (request, reply) => {
        const started = performance.now();
        const mediaType = (request.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
        if (request.body !== undefined && !TRACKING_MEDIA_TYPES.has(mediaType)) throw new SinkError("SINK_UNSUPPORTED_MEDIA_TYPE");
        const idempotencyKey = idempotencyKeyOf(request.headers["idempotency-key"]);
        const { text } = await decodeText(request.body, request.headers["content-encoding"], deps.maxBodyBytes);
        const body = readTrackingBody(text, call === "batch", deps.maxEvents);
        const basic = basicAuthKey(request.headers.authorization);
        const writeKey = requestWriteKey(basic, body);
        const appName = appOf(await (early.get(request) ?? lookup(deps, request, writeKey)), request.headers.origin);
        // The parsed messages are not kept past this call: held through the produce, a batch's
        // objects would outlive the young generation and cost full collections.
        const { messages, boundBytes } = nativeMessages(deps, body, call, writeKey, idempotencyKey);
        await deliver(deps, appName, deps.topics(appName).raw, messages, boundBytes);
        deps.metrics.requestDuration.observe({ status: "200" }, (performance.now() - started) / 1000);
        return reply.code(200).send(SUCCESS);
      },
    );
  }
}

/** A request's messages as the native messages to produce; throws the refusal of bad ones. */
function nativeMessages(
  deps: RouteDeps,
  body: TrackingBody,
  call: TrackingCall | "batch",
  writeKey: string,
  idempotencyKey: string | undefined,
): { messages: ProducedMessage[]; boundBytes: number } {
  const receivedAtMs = deps.now();
  const parts = { writeKey, context: body.context, integrations: body.integrations, sentAt: body.sentAt, receivedAt: millisToMicros(receivedAtMs) };
  const receivedAt = String(receivedAtMs);
  const messages: ProducedMessage[] = new Array(body.messages.length);
  let problems: ProblemTally | undefined;
  let boundBytes = 0;
  for (let index = 0; index < body.messages.length; index++) {
    const mapped = toNativeEvent(body.messages[index]!, call === "batch" ? undefined : call, parts, deps.limits);
    if (!mapped.ok) {
      (problems ??= new ProblemTally()).add(index, mapped.errors);
      continue;
    }
    if (problems) continue;
    const event = mapped.value;
    const id = event.id ?? (idempotencyKey === undefined ? deps.newId() : derivedId(idempotencyKey, index));
    messages[index] = { key: event.enid, value: event.text, headers: { [HEADERS.id]: id, [HEADERS.receivedAt]: receivedAt } };
    boundBytes += event.bytes + 3 * (event.enid.length + id.length) + MESSAGE_OVERHEAD_BYTES;
  }
  if (problems) throw refusal(problems, deps.metrics);
  return { messages, boundBytes };
}

/** The registry's verdict on a key; a failed lookup is the registry's, never the request's. */
async function lookup(deps: RouteDeps, request: FastifyRequest, key: string): Promise<KeyVerdict> {
  try {
    return await deps.lookupKey(key);
  } catch (error) {
    request.log[errorKind(error) === "infrastructure" ? "warn" : "error"]({ err: error }, "write-key lookup failed");
    throw new SinkError("SINK_REGISTRY_UNAVAILABLE");
  }
}

/** The app a verdict opens to a page of `origin` (or to a server: no origin); throws its refusal. */
function appOf(verdict: KeyVerdict, origin: string | undefined): string {
  if (verdict.outcome === "unknown_key") throw new SinkError("SINK_WRITE_KEY_UNKNOWN");
  if (verdict.outcome === "disabled") throw new SinkError("SINK_APP_DISABLED");
  if (origin !== undefined && !isOriginAllowed(origin, verdict.allowedOrigins)) throw new SinkError("SINK_ORIGIN_DENIED", origin);
  return verdict.app;
}
