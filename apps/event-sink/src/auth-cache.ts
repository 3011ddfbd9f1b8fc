import { createHash } from "node:crypto";
import type { KeyVerdict } from "@schematizer/registry";

export type AuthOutcome = "ok" | "unknown_app" | "wrong_key" | "disabled";

/** Checks an app's write key against the registry. */
export type Authenticate = (app: string, key: string) => Promise<AuthOutcome>;

/** Finds the app a write key opens, from the key alone (the tracking API names no app). */
export type LookupKey = (key: string) => Promise<KeyVerdict>;

export interface AuthCacheOptions {
  /** How long a verdict is reused; a rotated or disabled key stops working within this time. */
  ttlMs: number;
  /** Most verdicts kept; the oldest go first. */
  maxEntries?: number;
  now?: () => number;
}

/**
 * Puts a cache in front of `authenticate`, so a busy app costs no registry query per request.
 * Refusals are cached too, so a flood of bad keys cannot hammer the registry. Concurrent checks
 * of the same key share one query. Keys are held only as hashes.
 *
 * @example
 * const auth = cachedAuthenticate(keys.authenticate, { ttlMs: 10_000 }); // keys = openAppKeyStore(…)
 * await auth("acme", key); // "ok"
 */
export function cachedAuthenticate(authenticate: Authenticate, options: AuthCacheOptions): Authenticate {
  const cache = verdictCache<AuthOutcome>(options);
  return (app, key) => cache(`${app}\0${keyHash(key)}`, () => authenticate(app, key));
}

/**
 * {@link cachedAuthenticate} for lookups by key alone: the same time to live, the same sharing
 * of concurrent lookups, unknown keys remembered as such, failures not remembered.
 *
 * @example
 * const lookup = cachedLookupKey(keys.authenticateKey, { ttlMs: 10_000 });
 * await lookup(key); // { outcome: "ok", app: "acme", allowedOrigins: [] }
 */
export function cachedLookupKey(lookup: LookupKey, options: AuthCacheOptions): LookupKey {
  const cache = verdictCache<KeyVerdict>(options);
  return (key) => cache(keyHash(key), () => lookup(key));
}

function keyHash(key: string): string {
  return createHash("sha256").update(key).digest("base64");
}

function verdictCache<V>(options: AuthCacheOptions): (id: string, compute: () => Promise<V>) => Promise<V> {
  const now = options.now ?? Date.now;
  const maxEntries = options.maxEntries ?? 10_000;
  const verdicts = new Map<string, { outcome: Promise<V>; expires: number }>();
  return (id, compute) => {
    const hit = verdicts.get(id);
    if (hit && hit.expires > now()) return hit.outcome;
    if (verdicts.size >= maxEntries) verdicts.delete(verdicts.keys().next().value as string);
    const outcome = compute();
    verdicts.set(id, { outcome, expires: now() + options.ttlMs });
    // A failed lookup (registry down) must not be remembered as a verdict.
    outcome.catch(() => verdicts.delete(id));
    return outcome;
  };
}
