/**
 * An error with a stable machine-readable code, the context needed to act on it,
 * and whether trying the same operation again can succeed.
 *
 * @example
 * throw new CodedError("REGISTRY_CONFLICT", "schema changed underneath", { retriable: true, context: { table } });
 */
export class CodedError extends Error {
  readonly code: string;
  readonly retriable: boolean;
  readonly context: Readonly<Record<string, unknown>>;

  constructor(
    code: string,
    message: string,
    options: { retriable?: boolean; context?: Record<string, unknown>; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "CodedError";
    this.code = code;
    this.retriable = options.retriable ?? false;
    this.context = options.context ?? {};
  }
}
