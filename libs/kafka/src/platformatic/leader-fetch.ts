/**
 * One fetch from one partition leader, on the consumer's own connections: the request the fetch
 * plan made, sent, and its answer or error kept with what was asked and the generation it belongs to.
 */
import { FetchIsolationLevels, type ConnectionPool } from "@platformatic/kafka";
import type { FetchSettings } from "./client-options.ts";
import type { FetchAnswer } from "./fetch-answer.ts";
import type { LeaderFetch } from "./fetch-plan.ts";
import type { LibConsumer } from "./library-client.ts";

/** One fetch from one leader: what was asked, and the answer or the error. */
export interface FetchResult {
  leader: number;
  /** The member's generation when it was sent: results of an older one are dropped. */
  generation: number;
  /** Fetch offset of each partition asked, by partition key. */
  asked: Map<string, bigint>;
  answer?: FetchAnswer;
  error?: unknown;
}

/** What sending a fetch takes: the library consumer, the fetch connections, how long a leader may wait. */
export interface FetchDeps {
  consumer: LibConsumer;
  fetchPool: ConnectionPool;
  settings: Pick<FetchSettings, "maxWaitMs" | "minBytes">;
}

/** The most one answer may hold, all its partitions together. */
const MAX_ANSWER_BYTES = 10 * 1_048_576;

/**
 * Sends one planned request; the promise never rejects: a failure is a result with an error.
 * Only committed transactions are read.
 *
 * @example
 * for (const request of plan.requests) inflight.set(request.leader, sendFetch(deps, request, generation));
 */
export function sendFetch(deps: FetchDeps, { leader, topics, asked }: LeaderFetch, generation: number): Promise<FetchResult> {
  return deps.consumer
    .fetch({
      node: leader,
      topics,
      maxWaitTime: deps.settings.maxWaitMs,
      minBytes: deps.settings.minBytes,
      maxBytes: MAX_ANSWER_BYTES,
      isolationLevel: FetchIsolationLevels.READ_COMMITTED,
      connectionPool: deps.fetchPool,
    })
    .then(
      (answer): FetchResult => ({ leader, generation, asked, answer: answer as FetchAnswer }),
      (error: unknown): FetchResult => ({ leader, generation, asked, error }),
    );
}
