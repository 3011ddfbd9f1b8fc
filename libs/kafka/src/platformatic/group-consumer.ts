/**
 * The project's group Consumer on the library's group membership (join, heartbeats, rebalances,
 * commits) and its raw fetch. The library's own message stream hands out messages one by one at
 * about twice kafkajs's CPU per message, and commits per message or by fetched position, not per
 * handled batch.
 *
 * One fetch per partition leader is in flight at a time; the next one is sent as soon as the
 * answer arrives, so it overlaps the handler. Each partition's messages in an answer are a batch;
 * each batch is committed once its handler resolved. A handler (or commit) failure, and a
 * rebalance, drop what was fetched ahead and resume every partition from its committed offset:
 * the failed batch is fetched again.
 *
 * What to fetch (fetch-plan.ts), what an answer holds (fetch-answer.ts) and where partitions start
 * (start-positions.ts) are pure functions; this object holds the one state they are applied to,
 * and does the I/O (a fetch: leader-fetch.ts; a rejoin: group-rejoin.ts).
 */
import { ListOffsetTimestamps, type ConnectionPool } from "@platformatic/kafka";
import { sleep } from "@schematizer/errors";
import type { BatchHandler, Consumer, MessageBatch } from "../kafka-client.ts";
import { memberBackoffMs, type FetchSettings } from "./client-options.ts";
import { answerBatches, outOfRangePartitions } from "./fetch-answer.ts";
import { partitionKey, planFetches } from "./fetch-plan.ts";
import { rejoinGroup } from "./group-rejoin.ts";
import { sendFetch, type FetchResult } from "./leader-fetch.ts";
import { closeClient, type LibConsumer, type Log } from "./library-client.ts";
import { committedStarts, listedStarts } from "./start-positions.ts";

/** Everything the member changes while it runs. */
interface MemberState {
  /** Bumped by each rebalance and failure: fetches and positions of an older one are dropped. */
  generation: number;
  /** Positions must be read from the group's committed offsets before the next fetch. */
  resetNeeded: boolean;
  /** Next offset to fetch, by partition key, for the partitions assigned now. */
  positions: Map<string, bigint>;
  /** The fetch in flight to each leader. */
  inflight: Map<number, Promise<FetchResult>>;
  /** Topic names by topic id: answers name topics by id. */
  topicNames: Map<string, string>;
  /** Failures in a row, for the backoff; a committed batch ends the run. */
  failures: number;
  /** A rejoin is under way: another trigger meanwhile adds none. */
  rejoining: boolean;
  /** Ends the loop's wait for an answer early (a rebalance, or close); set while it waits. */
  wake: (() => void) | undefined;
  /** Aborted by close: ends every backoff at once. */
  stop: AbortController;
  loop: Promise<void> | undefined;
  closing: Promise<void> | undefined;
  /** The loop ended on an error, not on close. */
  failed: boolean;
}

/** How long the loop waits for an answer when fetches are in flight; a rebalance or close wakes it. */
const ANSWER_WAIT_MS = 60_000;

export interface GroupConsumerDeps {
  consumer: LibConsumer;
  /** Fetches get connections of their own: see platformatic-client.ts. */
  fetchPool: ConnectionPool;
  topics: string[];
  settings: FetchSettings;
  log: Log;
}

/**
 * A group member that hands each partition's fetched messages to a handler as a batch and
 * commits it once the handler resolved.
 *
 * @example
 * const consumer = new GroupConsumer({ consumer, fetchPool, topics: ["raw.acme"], settings, log });
 * await consumer.run(async (batch) => handle(batch.messages));
 */
export class GroupConsumer implements Consumer {
  readonly #lib: LibConsumer;
  readonly #deps: GroupConsumerDeps;
  readonly #state: MemberState = {
    generation: 0,
    resetNeeded: true,
    positions: new Map(),
    inflight: new Map(),
    topicNames: new Map(),
    failures: 0,
    rejoining: false,
    wake: undefined,
    stop: new AbortController(),
    loop: undefined,
    closing: undefined,
    failed: false,
  };

  constructor(deps: GroupConsumerDeps) {
    this.#deps = deps;
    this.#lib = deps.consumer;
    const lib = this.#lib;
    lib.on("consumer:group:join", () => {
      this.#restart();
      this.#state.wake?.();
    });
    // The library's leader assigns the partitions of its cached metadata (up to 5 s old): partitions
    // added since would stay unassigned until the next rebalance. A rebalance starts from fresh metadata.
    lib.on("consumer:group:rebalance", () => lib.clearMetadata());
    // Two ways the library leaves a member without heartbeats, so the group drops it while it goes
    // on fetching: a failed heartbeat (say while the broker restarts) cancels the timer for good,
    // and a rejoin that spent its retries is emitted as "error" (without a listener, fatal). Either
    // way: join again until it works, which restarts the heartbeats.
    lib.on("consumer:heartbeat:error", ({ error }) => this.#rejoin("heartbeat failed, rejoining", error));
    lib.on("error", (error: Error) => this.#rejoin("rejoining the group failed, trying again", error));
  }

  async run(handler: BatchHandler): Promise<void> {
    const state = this.#state;
    if (state.loop) throw new Error("consumer is already running");
    this.#lib.topics.trackAll(...this.#deps.topics);
    await this.#lib.joinGroup({});
    state.loop = this.#consume(handler).catch((error: unknown) => {
      state.failed = true;
      this.#deps.log("error", "consumer loop stopped", { error: (error as Error).message });
    });
  }

  assignments(): Map<string, number[]> {
    const out = new Map<string, number[]>();
    for (const { topic, partitions } of this.#lib.assignments ?? []) {
      if (partitions.length > 0) out.set(topic, [...(out.get(topic) ?? []), ...partitions].sort((a, b) => a - b));
    }
    return out;
  }

  failed(): boolean {
    return this.#state.failed;
  }

  close(): Promise<void> {
    const state = this.#state;
    state.closing ??= (async () => {
      state.stop.abort();
      state.wake?.();
      await state.loop;
      try {
        await closeClient(this.#lib);
      } finally {
        await this.#deps.fetchPool.close();
      }
    })();
    return state.closing;
  }

  get #stopping(): boolean {
    return this.#state.stop.signal.aborted;
  }

  /** Drops what is in flight or fetched ahead: the next turn starts from the committed offsets. */
  #restart(): void {
    const state = this.#state;
    state.generation++;
    state.resetNeeded = true;
    state.inflight.clear();
  }

  #rejoin(what: string, error: Error): void {
    const state = this.#state;
    this.#deps.log("warn", what, { error: error.message });
    if (this.#stopping || state.rejoining) return;
    state.rejoining = true;
    void rejoinGroup(this.#lib, this.#deps.log, state.stop.signal).finally(() => {
      state.rejoining = false;
    });
  }

  async #consume(handler: BatchHandler): Promise<void> {
    const state = this.#state;
    while (!this.#stopping) {
      try {
        if (state.resetNeeded) await this.#resetPositions();
        await this.#fetchAhead();
      } catch (error) {
        this.#restart();
        this.#lib.clearMetadata();
        await this.#failed("consumer could not resume its partitions", error);
        continue;
      }
      const result = await this.#nextResult();
      if (!result || result.generation !== state.generation) continue;
      state.inflight.delete(result.leader);
      if (result.error !== undefined) {
        await this.#fetchFailed(result);
        continue;
      }
      const { batches, positions } = answerBatches(result.answer!, result.asked, state.topicNames);
      for (const [key, offset] of positions) state.positions.set(key, offset);
      // Fetch the next while the handler works on these.
      await this.#fetchAhead().catch(() => undefined);
      await this.#handle(batches, result.generation, handler);
    }
  }

  /** Positions from the group's committed offsets, or the log's start or end where it has none. */
  async #resetPositions(): Promise<void> {
    const state = this.#state;
    state.resetNeeded = false;
    const startedAt = state.generation;
    state.positions.clear();
    const assignments = (this.#lib.assignments ?? []).filter((a) => a.partitions.length > 0);
    if (assignments.length === 0) return;
    // The offsets calls below and the fetches find each partition's leader in the cached metadata,
    // which may predate partitions just assigned: renew it once per assignment.
    await this.#lib.metadata({ topics: this.#deps.topics, forceUpdate: true });
    const { start, missing } = committedStarts(assignments, await this.#lib.listCommittedOffsets({ topics: assignments }));
    if (missing.size > 0) {
      for (const [key, offset] of listedStarts(missing, await this.#logEnds(missing))) start.set(key, offset);
    }
    // A rebalance while this ran: its own reset follows.
    if (startedAt === state.generation) for (const [key, offset] of start) state.positions.set(key, offset);
  }

  /** Where partitions without a usable offset start: the log's start or end, as kafkajs's fromBeginning. */
  #logEnds(partitions: Map<string, number[]>) {
    return this.#lib.listOffsets({
      topics: [...partitions.keys()],
      partitions: Object.fromEntries(partitions),
      timestamp: this.#deps.settings.fromBeginning ? ListOffsetTimestamps.EARLIEST : ListOffsetTimestamps.LATEST,
    });
  }

  /** Starts a fetch from each partition leader that has none in flight. */
  async #fetchAhead(): Promise<void> {
    const state = this.#state;
    if (state.resetNeeded || this.#stopping || state.positions.size === 0) return;
    const metadata = await this.#lib.metadata({ topics: this.#deps.topics });
    const plan = planFetches({
      assignments: this.#lib.assignments ?? [],
      positions: state.positions,
      metadata: metadata.topics,
      busyLeaders: state.inflight,
      maxBytesPerPartition: this.#deps.settings.maxBytesPerPartition,
    });
    for (const [id, name] of plan.topicNames) state.topicNames.set(id, name);
    // A partition without a known leader is asked about again next turn, from fresh metadata.
    if (plan.leaderless) this.#lib.clearMetadata();
    for (const request of plan.requests) state.inflight.set(request.leader, sendFetch(this.#deps, request, state.generation));
  }

  /** The first fetch result, or nothing once woken or after the wait (a loop turn with nothing in flight). */
  async #nextResult(): Promise<FetchResult | void> {
    const state = this.#state;
    const waking = new AbortController();
    state.wake = () => waking.abort();
    try {
      const waited = sleep(state.inflight.size === 0 ? this.#deps.settings.maxWaitMs : ANSWER_WAIT_MS, waking.signal);
      return await Promise.race([...state.inflight.values(), waited]);
    } finally {
      state.wake = undefined;
      // Ends the wait's timer too.
      waking.abort();
    }
  }

  async #fetchFailed(result: FetchResult): Promise<void> {
    try {
      if (await this.#recoverOutOfRange(result)) return;
    } catch (error) {
      await this.#failed("resetting an out-of-range offset failed", error);
      return;
    }
    this.#lib.clearMetadata();
    await this.#failed("fetch failed", result.error);
  }

  /** Moves partitions whose offset fell out of the log (retention) to the start or end, as kafkajs does. */
  async #recoverOutOfRange(result: FetchResult): Promise<boolean> {
    const state = this.#state;
    const lost = outOfRangePartitions(result.error, state.topicNames);
    if (lost.size === 0) return false;
    const moved = listedStarts(lost, await this.#logEnds(lost));
    for (const [topic, partitions] of lost) {
      for (const partition of partitions) {
        const offset = moved.get(partitionKey(topic, partition));
        if (offset !== undefined && result.generation === state.generation) state.positions.set(partitionKey(topic, partition), offset);
        this.#deps.log("warn", "offset out of range, moved", { topic, partition, offset: offset?.toString() });
      }
    }
    return true;
  }

  /** Hands each batch to the handler and commits it; a failure stops here, to fetch it again. */
  async #handle(batches: MessageBatch[], generation: number, handler: BatchHandler): Promise<void> {
    const state = this.#state;
    for (const batch of batches) {
      if (this.#stopping || generation !== state.generation) break;
      // A partition revoked meanwhile is another member's now.
      if (!this.#assigned(batch.topic, batch.partition)) continue;
      const next = BigInt(batch.messages.at(-1)!.offset) + 1n;
      try {
        await handler(batch, {
          heartbeat: async () => undefined, // the library heartbeats on its own timer
          isRunning: () => !this.#stopping && this.#assigned(batch.topic, batch.partition),
        });
        await this.#lib.commit({ offsets: [{ topic: batch.topic, partition: batch.partition, offset: next, leaderEpoch: -1 }] });
        state.failures = 0;
      } catch (error) {
        if (this.#stopping) break;
        this.#restart();
        await this.#failed("batch failed, fetching it again", error);
        break;
      }
    }
  }

  async #failed(what: string, error: unknown): Promise<void> {
    const state = this.#state;
    state.failures++;
    this.#deps.log("warn", what, { error: (error as Error).message, failures: state.failures });
    await sleep(memberBackoffMs(state.failures), state.stop.signal);
  }

  #assigned(topic: string, partition: number): boolean {
    return this.#lib.assignments?.some((a) => a.topic === topic && a.partitions.includes(partition)) ?? false;
  }
}
