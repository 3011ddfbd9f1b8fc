import { CodedError } from "@schematizer/errors";

/** Every refusal of franz's admin API and CLI, with its HTTP status. */
export const FRANZ_ERRORS = {
  FRANZ_UNAUTHORIZED: 401,
  FRANZ_BAD_REQUEST: 400,
  FRANZ_INVALID_APP_NAME: 400,
  FRANZ_INVALID_SETTINGS: 400,
  FRANZ_UNKNOWN_APP: 404,
  FRANZ_UNKNOWN_TABLE: 404,
  FRANZ_APP_EXISTS: 409,
  FRANZ_NOT_FOUND: 404,
  FRANZ_INTERNAL: 500,
} as const;

export type FranzErrorCode = keyof typeof FRANZ_ERRORS;

/** The registry's refusals in franz's terms; anything else is left as it is. */
const FROM_REGISTRY: Record<string, FranzErrorCode> = {
  REGISTRY_UNKNOWN_APP: "FRANZ_UNKNOWN_APP",
  REGISTRY_APP_EXISTS: "FRANZ_APP_EXISTS",
  REGISTRY_INVALID_APP_NAME: "FRANZ_INVALID_APP_NAME",
  REGISTRY_INVALID_SETTINGS: "FRANZ_INVALID_SETTINGS",
};

export function franzError(code: FranzErrorCode, message: string, context: Record<string, unknown> = {}): CodedError {
  return new CodedError(code, message, { context });
}

/** The code and status to answer with for any error. */
export function toFranzError(error: unknown): { code: FranzErrorCode; status: number; message: string } {
  if (error instanceof CodedError) {
    const code = (error.code in FRANZ_ERRORS ? error.code : FROM_REGISTRY[error.code]) as FranzErrorCode | undefined;
    if (code) return { code, status: FRANZ_ERRORS[code], message: error.message };
  }
  return { code: "FRANZ_INTERNAL", status: 500, message: "internal error" };
}
