export { CodedError } from "./coded-error.ts";
export { errorKind, isRetriable, type ErrorKind } from "./error-kind.ts";
export { backoffDelay, retry, sleep, waitFor, type RetryOptions } from "./retry.ts";
export { settle, type Settled, type SettleOptions } from "./settle.ts";
export { documentedCodes } from "./catalogue-docs.ts";
