/**
 * Whose fault an error is. Every stage decides an event's fate from this one answer:
 * - `infrastructure`: a dependency (Kafka, Postgres, S3, the warehouse) is unreachable, overloaded,
 *   restarting or lost a race. The work waits and is tried again, with backoff.
 * - `content`: anything else, above all what depends on the input itself (a value Postgres refuses,
 *   a limit of the warehouse). Trying the same input again cannot help: the event becomes a dead
 *   letter, the row is set aside.
 *
 * An error is infrastructure only when it says so: unknown errors are content, so that no input can
 * make a stage retry it for ever. (An infrastructure error that keeps repeating on the same input
 * while its dependency answers is content too; see `settle`.)
 */
import { CodedError } from "./coded-error.ts";

export type ErrorKind = "infrastructure" | "content";

/**
 * SQLSTATE classes (and single states) after which the same statement can succeed later:
 * connection exceptions, transaction rollbacks (serialization failures, deadlocks), insufficient
 * resources, object not in prerequisite state (lock not available), operator intervention
 * (shutdown, query cancelled), system errors.
 */
const TRANSIENT_SQL_CLASSES = new Set(["08", "40", "53", "55", "57", "58"]);

/** Socket and DNS failures: the other side is not there now. */
const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "ETIMEDOUT",
  "EPIPE",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "EHOSTDOWN",
  "ENETUNREACH",
  "ENETDOWN",
  "EADDRNOTAVAIL",
  "UND_ERR_SOCKET",
  "UND_ERR_CONNECT_TIMEOUT",
  "PLT_KFK_NETWORK",
  "PLT_KFK_TIMEOUT",
]);

/** node-postgres reports a lost or refused connection by message only. */
const PG_CONNECTION_LOST =
  /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Client was closed|Cannot use a pool after calling end|terminating connection)/;

/** S3 answers that pass: throttling and the server's own failures. */
const TRANSIENT_S3_NAMES = new Set(["SlowDown", "ServiceUnavailable", "RequestTimeout", "RequestTimeTooSkewed", "InternalError", "ThrottlingException", "TimeoutError"]);

/**
 * Whose fault `error` is; see the module comment.
 *
 * @example
 * ```ts
 * errorKind(Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" })); // "infrastructure"
 * errorKind(Object.assign(new Error("invalid byte sequence for encoding UTF8: 0x00"), { code: "22021" })); // "content"
 * errorKind(new Error("something nobody foresaw")); // "content"
 * ```
 */
export function errorKind(error: unknown): ErrorKind {
  return isInfrastructure(error, 0) ? "infrastructure" : "content";
}

function isInfrastructure(error: unknown, depth: number): boolean {
  if (error === null || typeof error !== "object" || depth > 8) return false;
  if (error instanceof CodedError) return error.retriable;
  const e = error as {
    code?: unknown;
    retriable?: unknown;
    canRetry?: unknown;
    message?: unknown;
    name?: unknown;
    cause?: unknown;
    errors?: unknown;
    $retryable?: unknown;
    $fault?: unknown;
  };
  const code = typeof e.code === "string" ? e.code : undefined;
  if (code !== undefined) {
    if (NETWORK_CODES.has(code)) return true;
    // A SQLSTATE: five characters of digits and capitals.
    if (/^[0-9A-Z]{5}$/.test(code)) return TRANSIENT_SQL_CLASSES.has(code.slice(0, 2));
  }
  if (typeof e.message === "string" && PG_CONNECTION_LOST.test(e.message)) return true;
  // AWS SDK: a throttled or failed server answer.
  if (e.$retryable !== undefined && e.$retryable !== null) return true;
  if (e.$fault === "server" || (typeof e.name === "string" && TRANSIENT_S3_NAMES.has(e.name))) return true;
  // Kafka clients say it themselves (kafkajs: retriable; platformatic: canRetry). A client that gave
  // up retrying wraps the last failure as its cause.
  if (e.retriable === true || e.canRetry === true) return true;
  // Several failures at once (connecting to every address of a host, a multi-partition request):
  // infrastructure when any of them is.
  if (Array.isArray(e.errors) && e.errors.some((inner) => isInfrastructure(inner, depth + 1))) return true;
  return isInfrastructure(e.cause, depth + 1);
}

/**
 * Whether trying the same operation again can help: the error is the infrastructure's.
 *
 * @example
 * ```ts
 * isRetriable(new CodedError("REGISTRY_CONFLICT", "lost a race", { retriable: true })); // true
 * isRetriable(new TypeError("x is undefined")); // false
 * ```
 */
export function isRetriable(error: unknown): boolean {
  return errorKind(error) === "infrastructure";
}
