import { createHash } from "node:crypto";

export type AuthOutcome = "ok" | "unknown_app" | "wrong_key" | "disabled";

/** Checks an app's write key against the registry. */
export type Authenticate = (app: string, key: string) => Promise<AuthOutcome>;

export interface AuthCacheOptions {
  /** How long a verdict is reused; a rotated or disabled key stops working within this time. */
  ttlMs: number;
  /** Most (app, key) verdicts kept; the oldest go first. */
  maxEntries?: number;
  now?: () => number;
}

/**
 * Puts a cache in front of `authenticate`, so a busy app costs no registry query per request.
 * Refusals are cached too, so a flood of bad keys cannot hammer the registry. Concurrent checks
 * of the same key share one query. Keys are held only as hashes.
 *
 * @example
 * const auth = cachedAuthenticate(registry.authenticate, { ttlMs: 10_000 });
 * await auth("acme", key); // "ok"
 */
export function cachedAuthenticate(authenticate: Authenticate, options: AuthCacheOptions): Authenticate {
  const now = options.now ?? Date.now;
  const maxEntries = options.maxEntries ?? 10_000;
  const verdicts = new Map<string, { outcome: Promise<AuthOutcome>; expires: number }>();

  return (app, key) => {
    const id = `${app}\0${createHash("sha256").update(key).digest("base64")}`;
    const hit = verdicts.get(id);
    if (hit && hit.expires > now()) return hit.outcome;
    if (verdicts.size >= maxEntries) verdicts.delete(verdicts.keys().next().value as string);
    const outcome = authenticate(app, key);
    verdicts.set(id, { outcome, expires: now() + options.ttlMs });
    // A failed lookup (registry down) must not be remembered as a verdict.
    outcome.catch(() => verdicts.delete(id));
    return outcome;
  };
}
