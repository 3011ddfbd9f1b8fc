import type { EpochMicros } from "@schematizer/schema";

/** The client's clock readings of one message, parsed (epoch microseconds). */
export interface ClientTimes {
  /** `timestamp`: when the event happened, by the client's clock (set by the SDK, or by the caller for history). */
  timestamp?: EpochMicros;
  /** `originalTimestamp`: the same reading under the name some SDKs use. */
  originalTimestamp?: EpochMicros;
  /** `sentAt`: when the request left the client, by the same clock (the message's own, else the batch's). */
  sentAt?: EpochMicros;
}

/**
 * When a message's event happened, by Segment's rule: the client's reading of it (`timestamp`,
 * else `originalTimestamp`) moved by the client clock's skew, measured as the receive time minus
 * `sentAt` (the time in flight counts as skew: it is short next to the wrong clocks this corrects,
 * a phone set to another day). Without `sentAt` the reading is taken as it is; without any
 * reading the event happened when it was received.
 *
 * @example
 * // A device 1 h fast: sent at 13:00:05 by its clock, received at 12:00:05.
 * eventTime({ timestamp: micros("2024-05-01T13:00:00Z"), sentAt: micros("2024-05-01T13:00:05Z") }, micros("2024-05-01T12:00:05Z"));
 * // micros("2024-05-01T12:00:00Z")
 */
export function eventTime(times: ClientTimes, receivedAt: EpochMicros): EpochMicros {
  const reading = times.timestamp ?? times.originalTimestamp;
  if (reading === undefined) return receivedAt;
  if (times.sentAt === undefined) return reading;
  if (typeof reading === "number" && typeof times.sentAt === "number" && typeof receivedAt === "number") {
    const corrected = reading + (receivedAt - times.sentAt);
    if (Number.isSafeInteger(corrected)) return corrected;
  }
  const corrected = BigInt(reading) + (BigInt(receivedAt) - BigInt(times.sentAt));
  return corrected >= BigInt(Number.MIN_SAFE_INTEGER) && corrected <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(corrected) : corrected;
}
