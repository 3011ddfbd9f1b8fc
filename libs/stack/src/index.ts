export { createStack, type ServiceStatus, type Stack } from "./stack.ts";
export { cacheDir, readStackEnv, repoRoot, resolveEndpoints, stackEnvSchema, type Endpoints, type StackEnv } from "./stack-config.ts";
export { freePort } from "./free-port.ts";
export { IMAGE_NODE_MAJOR, imageNode, runsOnImageNode } from "./node-runtime.ts";
export {
  buildServices,
  SERVICE_NODE_FLAGS,
  SERVICES,
  serviceCommand,
  serviceEntries,
  type ServiceEntry,
  type ServiceName,
  type ServiceProgram,
} from "./service-bundles.ts";
export { serviceEnv, sharedServiceEnv, type ServiceScope } from "./service-env.ts";
