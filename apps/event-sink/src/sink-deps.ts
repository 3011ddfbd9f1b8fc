/**
 * What the event-sink's routes are built from: the producer, the key checks, the limits and the
 * hooks for readiness, metrics and logging (`main.ts` wires the real ones, tests their own).
 */
import type { AppTopics } from "@schematizer/contracts";
import type { Producer } from "@schematizer/kafka";
import type { Logger } from "@schematizer/observability";
import type { Limits } from "@schematizer/schema";
import type { Registry } from "prom-client";
import type { Authenticate, LookupKey } from "./auth-cache.ts";

export interface SinkDeps {
  producer: Producer;
  authenticate: Authenticate;
  /** Finds an app from its write key alone: the tracking API (/v1/track, …) is served when given. */
  lookupKey?: LookupKey;
  topics: (app: string) => AppTopics;
  /** Largest request body, after decompression. */
  maxBodyBytes: number;
  /** Most events in one request. */
  maxEvents: number;
  /** Per-event limits (size, nesting depth): the sqlizer's, from the same variables. */
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
