import type { Admin } from "@schematizer/kafka";
import type { Logger } from "@schematizer/observability";
import { Counter, Gauge, type Registry } from "prom-client";
import { partitionRates, planPartitions, type OffsetSample, type PartitionDecision, type PartitionPolicy } from "./partition-planner.ts";

export interface AutoscalerDeps {
  admin: Admin;
  policy: PartitionPolicy;
  /** Topics to watch: every app's raw and sql topics. */
  topics: RegExp;
  dryRun: boolean;
  log: Logger;
  metrics: Registry;
}

/**
 * Samples every watched topic's partition end offsets; from each sample and the one before, it
 * measures produce rates and, where a partition runs hot, adds partitions (or, in dry-run mode,
 * only says it would). Every decision is logged and counted.
 *
 * Adding partitions moves some keys to new partitions: an entity's events written just before and
 * just after the change can be read out of order once. Kafka offers no way around it; growing
 * rarely and ahead of need keeps it rare.
 *
 * @example
 * const autoscaler = createAutoscaler({ admin, policy, topics: /^(raw|sql)\./, dryRun: false, log, metrics });
 * autoscaler.start(30_000);
 */
export function createAutoscaler(deps: AutoscalerDeps) {
  const previous = new Map<string, OffsetSample>();
  const rates = new Map<string, number>();
  const decisions = new Counter({
    name: "franz_partition_decisions_total",
    help: "Autoscaling decisions, by action (keep, grow, would_grow in dry-run)",
    labelNames: ["action"] as const,
    registers: [deps.metrics],
  });
  const added = new Counter({
    name: "franz_partitions_added_total",
    help: "Partitions added to topics",
    labelNames: ["topic"] as const,
    registers: [deps.metrics],
  });
  const rateGauge = new Gauge({
    name: "franz_topic_messages_per_second",
    help: "Produce rate of each watched topic over the last window",
    labelNames: ["topic"] as const,
    registers: [deps.metrics],
  });
  const partitionsGauge = new Gauge({
    name: "franz_topic_partitions",
    help: "Partitions of each watched topic",
    labelNames: ["topic"] as const,
    registers: [deps.metrics],
  });
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> = Promise.resolve();

  /** Takes one sample of every watched topic; returns a decision for each topic sampled before. */
  async function tick(dryRun = deps.dryRun): Promise<PartitionDecision[]> {
    const out: PartitionDecision[] = [];
    for (const topic of (await deps.admin.listTopics()).filter((t) => deps.topics.test(t)).sort()) {
      const offsets = await deps.admin.topicOffsets(topic);
      const sample: OffsetSample = { at: Date.now(), ends: new Map(offsets.map((o) => [o.partition, BigInt(o.high)])) };
      const before = previous.get(topic);
      previous.set(topic, sample);
      partitionsGauge.set({ topic }, offsets.length);
      if (!before) continue;
      const partitionRate = partitionRates(before, sample);
      const decision = planPartitions(topic, partitionRate, deps.policy);
      rates.set(topic, decision.totalRate);
      rateGauge.set({ topic }, decision.totalRate);
      out.push(decision);
      if (decision.action === "keep") {
        decisions.inc({ action: "keep" });
        continue;
      }
      if (dryRun) {
        decisions.inc({ action: "would_grow" });
        deps.log.info({ ...decision, dryRun: true }, "would add partitions");
        continue;
      }
      await deps.admin.createPartitions(topic, decision.to);
      decisions.inc({ action: "grow" });
      added.inc({ topic }, decision.to - decision.partitions);
      deps.log.info(decision, "added partitions");
    }
    return out;
  }

  return {
    tick,
    /** Latest measured rate per topic, in messages per second. */
    rates: (): ReadonlyMap<string, number> => rates,
    start(intervalMs: number) {
      running = tick().catch((error: unknown) => deps.log.warn({ err: error }, "autoscaling sample failed"));
      timer = setInterval(() => {
        running = running.then(() => tick()).catch((error: unknown) => deps.log.warn({ err: error }, "autoscaling sample failed"));
      }, intervalMs);
      timer.unref();
    },
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}

export type Autoscaler = ReturnType<typeof createAutoscaler>;
