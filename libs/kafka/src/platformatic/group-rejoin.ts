/**
 * Joining the group again once the library has left the member without heartbeats: attempts
 * spaced by the member's backoff until one works or the consumer closes.
 */
import { sleep } from "@schematizer/errors";
import { memberBackoffMs } from "./client-options.ts";
import type { LibConsumer, Log } from "./library-client.ts";

/**
 * Joins again, each time from fresh metadata, until it works or `signal` aborts (close ends the
 * wait at once); each failed attempt is logged. Never rejects.
 *
 * @example
 * await rejoinGroup(consumer, log, stop.signal);
 */
export async function rejoinGroup(consumer: LibConsumer, log: Log, signal: AbortSignal): Promise<void> {
  for (let attempt = 1; !signal.aborted; attempt++) {
    await sleep(memberBackoffMs(attempt), signal);
    if (signal.aborted) return;
    try {
      consumer.clearMetadata();
      await consumer.joinGroup({});
      return;
    } catch (error) {
      log("warn", "rejoining the group failed", { error: (error as Error).message, attempt });
    }
  }
}
