import type { Logger } from "pino";

/**
 * Stops the service cleanly on SIGINT or SIGTERM: `stop` finishes in-flight work, then the
 * process exits 0; if it takes longer than `timeoutMs` or fails, the process exits 1.
 *
 * @example
 * onShutdown(log, async () => { await app.close(); await producer.close(); });
 */
export function onShutdown(log: Logger, stop: () => Promise<void>, timeoutMs = 30_000): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, "stopping");
    setTimeout(() => {
      log.error({ timeoutMs }, "shutdown timed out");
      process.exit(1);
    }, timeoutMs).unref();
    stop().then(
      () => {
        log.info("stopped");
        process.exit(0);
      },
      (error: unknown) => {
        log.error({ err: error }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.once("SIGINT", handler);
  process.once("SIGTERM", handler);
}

/** Logs a failure to start and exits 1, so a supervisor sees the service did not come up. */
export function exitOnStartFailure(log: Logger): (error: unknown) => never {
  return (error) => {
    log.fatal({ err: error }, "could not start");
    process.exit(1);
  };
}
