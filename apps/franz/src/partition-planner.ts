/**
 * Partitions follow traffic: from two samples of a topic's partition end offsets, the produce
 * rate of each partition, and whether the topic needs more partitions. Pure, so every decision
 * can be explained and tested; franz does the sampling and the admin calls.
 */

export interface OffsetSample {
  /** Milliseconds since the epoch when the offsets were read. */
  at: number;
  /** End offset (high watermark) per partition. */
  ends: ReadonlyMap<number, bigint>;
}

export interface PartitionPolicy {
  /** A partition producing more than this many messages per second is hot. */
  maxRatePerPartition: number;
  /** Never grow a topic beyond this many partitions. */
  maxPartitions: number;
  /** After growing, aim for partitions running at this fraction of the threshold (0 < x ≤ 1). */
  targetUtilisation: number;
}

export type PartitionDecision =
  | { action: "keep"; topic: string; partitions: number; totalRate: number; hottestRate: number; reason: string }
  | { action: "grow"; topic: string; partitions: number; to: number; totalRate: number; hottestRate: number; reason: string };

/**
 * Messages per second of each partition between two samples; partitions that appeared in
 * between count from zero.
 *
 * @example
 * partitionRates({ at: 0, ends: new Map([[0, 0n]]) }, { at: 2000, ends: new Map([[0, 500n]]) }) // Map { 0 => 250 }
 */
export function partitionRates(before: OffsetSample, after: OffsetSample): Map<number, number> {
  const seconds = (after.at - before.at) / 1000;
  const rates = new Map<number, number>();
  if (seconds <= 0) return rates;
  for (const [partition, end] of after.ends) {
    const start = before.ends.get(partition) ?? 0n;
    rates.set(partition, Number(end > start ? end - start : 0n) / seconds);
  }
  return rates;
}

/**
 * Whether a topic should grow, and to how many partitions. It grows when its hottest partition
 * passes the threshold, to enough partitions that the topic's total rate spread evenly would run
 * at `targetUtilisation` of the threshold — at least one more, at most `maxPartitions`. It never
 * shrinks (Kafka cannot remove partitions).
 *
 * @example
 * planPartitions("raw.acme", rates, { maxRatePerPartition: 5000, maxPartitions: 64, targetUtilisation: 0.5 })
 * // { action: "grow", partitions: 2, to: 8, ... }
 */
export function planPartitions(topic: string, rates: ReadonlyMap<number, number>, policy: PartitionPolicy): PartitionDecision {
  const partitions = rates.size;
  let totalRate = 0;
  let hottestRate = 0;
  for (const rate of rates.values()) {
    totalRate += rate;
    hottestRate = Math.max(hottestRate, rate);
  }
  const base = { topic, partitions, totalRate: round(totalRate), hottestRate: round(hottestRate) };
  if (hottestRate <= policy.maxRatePerPartition) {
    return { action: "keep", ...base, reason: `hottest partition ${round(hottestRate)}/s is within ${policy.maxRatePerPartition}/s` };
  }
  if (partitions >= policy.maxPartitions) {
    return { action: "keep", ...base, reason: `hot (${round(hottestRate)}/s) but already at the maximum of ${policy.maxPartitions} partitions` };
  }
  const wanted = Math.ceil(totalRate / (policy.maxRatePerPartition * policy.targetUtilisation));
  const to = Math.min(policy.maxPartitions, Math.max(partitions + 1, wanted));
  return {
    action: "grow",
    ...base,
    to,
    reason: `hottest partition ${round(hottestRate)}/s passes ${policy.maxRatePerPartition}/s; ${round(totalRate)}/s over ${to} partitions runs at ${Math.round((totalRate / to / policy.maxRatePerPartition) * 100)}% of the threshold`,
  };
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}
