import { topicPattern } from "@schematizer/contracts";
import { createKafkaClient, watchKafka } from "@schematizer/kafka";
import { createLogger, createMetricsRegistry, exitOnStartFailure, onShutdown } from "@schematizer/observability";
import { buildAdminApi } from "./admin-api.ts";
import { createAutoscaler } from "./autoscaler.ts";
import { readFranzConfig } from "./config.ts";
import { createControl } from "./control.ts";
import { openFranzRuntime, recoveryDeps } from "./franz-runtime.ts";

const config = readFranzConfig();
const log = createLogger("franz", config.LOG_LEVEL);

async function main(): Promise<void> {
  const runtime = await openFranzRuntime(config, log);
  const metrics = createMetricsRegistry("franz");
  const health = await watchKafka(createKafkaClient(config.KAFKA_CLIENT, { brokers: config.KAFKA_BROKERS.split(","), clientId: "franz-health" }));
  const autoscaler = createAutoscaler({
    admin: runtime.admin,
    policy: {
      maxRatePerPartition: config.FRANZ_MAX_RATE_PER_PARTITION,
      maxPartitions: config.FRANZ_MAX_PARTITIONS,
      targetUtilisation: config.FRANZ_TARGET_UTILISATION,
    },
    topics: new RegExp(`${topicPattern("raw", config.TOPIC_PREFIX).source}|${topicPattern("sql", config.TOPIC_PREFIX).source}`),
    dryRun: config.FRANZ_AUTOSCALE_DRY_RUN,
    log,
    metrics,
  });
  const control = createControl({ registry: runtime.registry, admin: runtime.admin, config, rates: autoscaler.rates, recovery: recoveryDeps(runtime, config) });
  let stopping = false;
  const app = buildAdminApi({
    control,
    autoscaler,
    registry: runtime.registry,
    adminToken: config.FRANZ_ADMIN_TOKEN,
    metrics,
    notReadyReason: () => (stopping ? "shutting down" : health.notReadyReason()),
    log,
  });
  await app.listen({ port: config.FRANZ_PORT, host: config.FRANZ_HOST });
  autoscaler.start(config.FRANZ_AUTOSCALE_INTERVAL_MS);
  // In the background: the API serves meanwhile, and a topic left behind is repaired at the next start or by repair-topics.
  void control.repairAllTopics().then((results) => {
    for (const { app: name, repair, error } of results) {
      if (error !== undefined) log.warn({ app: name, err: error }, "could not repair the app's topics; run franz apps repair-topics");
      else if (repair!.topicsCreated.length + repair!.topicsResized.length > 0) log.info({ app: name, ...repair }, "repaired the app's topics");
    }
  }, (error: unknown) => log.warn({ err: error }, "could not list apps to repair their topics"));
  log.info({ port: config.FRANZ_PORT, autoscaleEveryMs: config.FRANZ_AUTOSCALE_INTERVAL_MS, dryRun: config.FRANZ_AUTOSCALE_DRY_RUN }, "franz listening");

  onShutdown(log, async () => {
    stopping = true;
    await app.close();
    await autoscaler.stop();
    await health.stop();
    await runtime.close();
  });
}

main().catch(exitOnStartFailure(log));
