import type { z } from "zod";

/** Thrown at start when the environment does not satisfy an app's schema; lists every problem. */
export class ConfigError extends Error {
  readonly code = "CONFIG_INVALID";
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

/**
 * Parses an app's environment once, at start. Empty strings count as unset, so
 * `FOO=` in a .env file falls back to the default instead of failing validation.
 *
 * @example
 * const config = parseEnv(z.object({ PORT: z.coerce.number().int().default(8080) }));
 */
export function parseEnv<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv = process.env): z.output<S> {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ""));
  const result = schema.safeParse(cleaned);
  if (result.success) return result.data;
  throw new ConfigError(result.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`));
}
