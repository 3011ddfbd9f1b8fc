import type { KafkaClient } from "./kafka-client.ts";

export interface KafkaHealth {
  /** Why Kafka is not usable now ("kafka unreachable: …"), or undefined while it answers. */
  notReadyReason(): string | undefined;
  stop(): Promise<void>;
}

/**
 * Asks the cluster for its brokers every `intervalMs`, for readiness probes: a service that
 * cannot reach Kafka should be taken out of rotation rather than fail every request.
 *
 * @example
 * const health = await watchKafka(kafka, 2_000);
 * opsRoutes(app, { metrics, notReadyReason: health.notReadyReason });
 */
export async function watchKafka(client: KafkaClient, intervalMs = 2_000): Promise<KafkaHealth> {
  let reason: string | undefined = "kafka not checked yet";
  let admin: Awaited<ReturnType<KafkaClient["admin"]>> | undefined;
  const check = async () => {
    try {
      admin ??= await client.admin();
      reason = (await admin.brokers()).length > 0 ? undefined : "kafka has no brokers";
    } catch (error) {
      reason = `kafka unreachable: ${(error as Error).message}`;
      const stale = admin;
      admin = undefined;
      await stale?.close().catch(() => undefined);
    }
  };
  await check();
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    void check().finally(() => (running = false));
  }, intervalMs);
  timer.unref();
  return {
    notReadyReason: () => reason,
    async stop() {
      clearInterval(timer);
      await admin?.close().catch(() => undefined);
    },
  };
}
