import { pino, type Logger } from "pino";

export type { Logger };

/**
 * A JSON logger for one service: one object per line on stdout, with the service name.
 *
 * @example
 * const log = createLogger("event-sink", "info");
 * log.info({ app: "acme", events: 500 }, "accepted");
 */
export function createLogger(service: string, level = "info"): Logger {
  return pino({ name: service, level, base: { service }, timestamp: pino.stdTimeFunctions.isoTime });
}
