export { CodedError, isRetriable } from "./coded-error.ts";
export { backoffDelay, retry, sleep, waitFor, type RetryOptions } from "./retry.ts";
