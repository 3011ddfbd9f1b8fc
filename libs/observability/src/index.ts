export { createLogger, type Logger } from "./logger.ts";
export { createMetricsRegistry } from "./metrics.ts";
export { opsRoutes, type OpsRoutesOptions } from "./ops-routes.ts";
export { assignedPartitionsGauge, partitionGauge, type Assignments, type PartitionGauge } from "./partition-gauge.ts";
export { exitOnStartFailure, onShutdown } from "./shutdown.ts";
