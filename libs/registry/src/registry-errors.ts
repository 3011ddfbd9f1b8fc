/**
 * Coded errors of the registry, each saying whether trying again can help.
 */
import { CodedError } from "@schematizer/errors";

/** Every code the registry throws, with whether a retry can succeed and what it means. */
export const REGISTRY_ERRORS = {
  REGISTRY_CONFLICT: {
    retriable: true,
    description: "other writers kept adding versions to the table while this one tried to; try again later",
  },
  REGISTRY_UNKNOWN_APP: { retriable: false, description: "no app has this name" },
  REGISTRY_APP_EXISTS: { retriable: false, description: "an app with this name already exists" },
  REGISTRY_INVALID_APP_NAME: { retriable: false, description: "the app name does not match APP_NAME_PATTERN" },
  REGISTRY_INVALID_SETTINGS: { retriable: false, description: "an app setting is out of range" },
  REGISTRY_TABLE_LIMIT: { retriable: false, description: "the app already has as many tables as its settings allow" },
  REGISTRY_INVALID_EVENT_NAME: {
    retriable: false,
    description: "an entype or evname is not a plain name (control or invisible characters, lone surrogates, surrounding whitespace)",
  },
  REGISTRY_INVALID_OPTIONS: { retriable: false, description: "the registry was opened with an invalid option" },
  // Almost always the database unreachable at start; a broken migration fails the same way again.
  REGISTRY_MIGRATION_FAILED: { retriable: true, description: "the registry's tables could not be brought up to date" },
} as const;

export type RegistryErrorCode = keyof typeof REGISTRY_ERRORS;

/**
 * A registry error with its catalogued retriability.
 *
 * @example
 * ```ts
 * throw registryError("REGISTRY_UNKNOWN_APP", `no app named ${app}`, { app });
 * ```
 */
export function registryError(
  code: RegistryErrorCode,
  message: string,
  context: Record<string, unknown> = {},
  cause?: unknown,
): CodedError {
  return new CodedError(code, message, { retriable: REGISTRY_ERRORS[code].retriable, context, cause });
}

/**
 * Whether an error is the registry's lost-race error, the one `evolve` retries.
 *
 * @example
 * ```ts
 * retry(() => registry.evolve(app, entype, evname, row), { attempts: 3, baseDelayMs: 100, maxDelayMs: 1000, retryIf: isConflict });
 * ```
 */
export function isConflict(error: unknown): boolean {
  return error instanceof CodedError && error.code === "REGISTRY_CONFLICT";
}
