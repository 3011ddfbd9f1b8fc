export { createStack, type ServiceStatus, type Stack } from "./stack.ts";
export { cacheDir, readStackEnv, repoRoot, resolveEndpoints, stackEnvSchema, type Endpoints, type StackEnv } from "./stack-config.ts";
export { freePort } from "./free-port.ts";
