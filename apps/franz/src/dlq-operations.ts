/**
 * The dead-letter commands over Kafka: `dlq list` reads `dlq.<app>` to its end, `dlq redrive` sends
 * the letters it picks back to `raw.<app>`, and `apps describe` counts them by reason. Each reads
 * the whole topic (its retention, FRANZ_DLQ_RETENTION_MS, bounds it) in a scan of its own.
 */
import { readDeadLetter, topicsFor } from "@schematizer/contracts";
import type { Producer } from "@schematizer/kafka";
import type { Dialect } from "@schematizer/schema";
import { letterMatches, orderCounts, redriveMessage, viewDeadLetter, type DeadLetterView, type LetterFilter } from "./dead-letters.ts";
import { createRawSender } from "./raw-sender.ts";
import { scanTopic, type ScanDeps } from "./topic-scan.ts";

export interface DlqDeps extends ScanDeps {
  /** TOPIC_PREFIX. */
  topicPrefix: string;
  /** EVENT_MAX_BYTES: bounds each send of a redrive to what raw.<app> takes. */
  eventMaxBytes: number;
}

/** What `dlq list` shows. */
export interface DeadLetterListing {
  topic: string;
  /** Every letter of the topic. */
  total: number;
  byReason: Record<string, number>;
  /** Letters the filter picks. */
  matching: number;
  /** The latest of them by received time, at most the limit, oldest first. */
  letters: DeadLetterView[];
}

/** What `dlq redrive` did, or would do on a dry run. */
export interface RedriveReport {
  from: string;
  to: string;
  dryRun: boolean;
  /** Letters the filter picks, one per event id (an event dead-lettered twice is sent once). */
  picked: number;
  byReason: Record<string, number>;
  /** Sent back to raw.<app>; 0 on a dry run. */
  redriven: number;
  /** Picked letters that cannot be sent back, and why. */
  skipped: { id: string | undefined; reason: string; partition: number; offset: string; why: string }[];
  /** The first picked letters, at most the limit, in the order they are sent. */
  letters: DeadLetterView[];
}

/**
 * The app's dead letters, counted by reason, with the latest `limit` the filter picks.
 *
 * @example
 * const { byReason, letters } = await listDeadLetters(deps, "acme", "postgres", { reason: "REGISTRY_TABLE_LIMIT" }, 50);
 */
export async function listDeadLetters(deps: DlqDeps, app: string, dialect: Dialect, filter: LetterFilter, limit: number): Promise<DeadLetterListing> {
  const topic = topicsFor(app, deps.topicPrefix).dlq;
  const counts = new Map<string, number>();
  let total = 0;
  let matching = 0;
  let kept: DeadLetterView[] = [];
  const latest = () => kept.sort((a, b) => a.receivedAt.getTime() - b.receivedAt.getTime()).slice(Math.max(0, kept.length - limit));
  await scanTopic(deps, topic, (message) => {
    const view = viewDeadLetter(message, dialect);
    if (view === undefined) return;
    total++;
    counts.set(view.reason, (counts.get(view.reason) ?? 0) + 1);
    if (!letterMatches(view, filter)) return;
    matching++;
    kept.push(view);
    if (kept.length >= 2 * limit + 100) kept = latest();
  });
  return { topic, total, byReason: orderCounts(counts), matching, letters: latest() };
}

/**
 * The app's dead letters by reason, from their headers alone.
 *
 * @example
 * await countDeadLetters(deps, "acme"); // { total: 3, byReason: { REGISTRY_TABLE_LIMIT: 3 } }
 */
export async function countDeadLetters(deps: DlqDeps, app: string): Promise<{ total: number; byReason: Record<string, number> }> {
  const counts = new Map<string, number>();
  let total = 0;
  await scanTopic(deps, topicsFor(app, deps.topicPrefix).dlq, (message) => {
    const letter = readDeadLetter(message);
    if (letter === undefined) return;
    total++;
    counts.set(letter.code, (counts.get(letter.code) ?? 0) + 1);
  });
  return { total, byReason: orderCounts(counts) };
}

/**
 * Sends the letters the filter picks back to raw.<app>, each event once, with its key, bytes,
 * headers, id and received time as event-sink wrote them (see `redriveMessage`): the sqlizer takes
 * them as new, and the warehouse keeps one row per id however often they are redriven. Letters
 * without their value (Kafka refused them with it) or without an id are skipped and reported. On a
 * dry run nothing is written. Resolves once Kafka acknowledged every send; a failure part-way
 * leaves part sent, and running it again is safe.
 *
 * @example
 * const report = await redriveDeadLetters(deps, "acme", "postgres", { reason: "REGISTRY_TABLE_LIMIT" }, { dryRun: false, limit: 50 });
 */
export async function redriveDeadLetters(
  deps: DlqDeps,
  app: string,
  dialect: Dialect,
  filter: LetterFilter,
  options: { dryRun: boolean; limit: number },
): Promise<RedriveReport> {
  const topics = topicsFor(app, deps.topicPrefix);
  const report: RedriveReport = { from: topics.dlq, to: topics.raw, dryRun: options.dryRun, picked: 0, byReason: {}, redriven: 0, skipped: [], letters: [] };
  const counts = new Map<string, number>();
  const seen = new Set<string>();
  const producer: Producer | undefined = options.dryRun ? undefined : await deps.kafka.producer();
  const sender = producer && createRawSender(producer, topics.raw, { eventMaxBytes: deps.eventMaxBytes });
  try {
    await scanTopic(deps, topics.dlq, async (message) => {
      const view = viewDeadLetter(message, dialect);
      if (view === undefined || !letterMatches(view, filter)) return;
      const skip = (why: string): void => {
        report.skipped.push({ id: view.id, reason: view.reason, partition: view.partition, offset: view.offset, why });
      };
      if (view.id === undefined) return skip("no id: sent back, it would get a new one, and a second row");
      if (seen.has(view.id)) return;
      seen.add(view.id);
      const redriven = redriveMessage(message, view);
      if (redriven === undefined) {
        return skip(`value not kept (${view.valueDropped ?? "none"})${view.origin ? `; the event is at ${view.origin.topic}/${view.origin.partition}/${view.origin.offset} until retention` : ""}`);
      }
      report.picked++;
      counts.set(view.reason, (counts.get(view.reason) ?? 0) + 1);
      if (report.letters.length < options.limit) report.letters.push(view);
      await sender?.add(redriven);
    });
    await sender?.flush();
    report.redriven = sender?.sent ?? 0;
  } finally {
    await producer?.close();
  }
  report.byReason = orderCounts(counts);
  return report;
}
