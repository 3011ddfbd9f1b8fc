/**
 * Write keys checked, and nothing else: which app a key opens and whether it is disabled. It only
 * reads, so event-sink opens this alone (no migrations, no schema histories); the app store
 * answers the same two questions through it.
 */
import { APP_NAME_PATTERN } from "@schematizer/contracts";
import { createKysely } from "@schematizer/postgres";
import type { Kysely } from "kysely";
import type pg from "pg";
import { hashKey, keyMatches } from "./app-keys.ts";
import { DEFAULT_REGISTRY_SCHEMA, type RegistryDatabase } from "./database.ts";

/** The verdict on a write key. */
export type AuthOutcome = "ok" | "unknown_app" | "wrong_key" | "disabled";

/** The verdict on a write key presented without an app name: which app it opens, if any. */
export type KeyVerdict =
  | { readonly outcome: "ok"; readonly app: string; readonly allowedOrigins: readonly string[] }
  | { readonly outcome: "disabled"; readonly app: string }
  | { readonly outcome: "unknown_key" };

export interface AppKeyStore {
  /**
   * Checks a write key in constant time. A wrong key is reported before a disabled app, so
   * only a key holder learns that its app is disabled.
   *
   * @example
   * ```ts
   * await keys.authenticate("acme", key); // "ok" | "unknown_app" | "wrong_key" | "disabled"
   * ```
   */
  authenticate(name: string, key: string): Promise<AuthOutcome>;
  /**
   * Finds the app a write key belongs to, from the key alone (the tracking API's clients send no
   * app name): by the key's hash, current or within its rotation grace. An index lookup on a
   * SHA-256 leaks nothing usable about other keys, since no one can choose a key by its hash.
   *
   * @example
   * ```ts
   * await keys.authenticateKey(key); // { outcome: "ok", app: "acme", allowedOrigins: ["https://shop.example.com"] }
   * ```
   */
  authenticateKey(key: string): Promise<KeyVerdict>;
}

export interface AppKeyStoreDeps {
  readonly db: Kysely<RegistryDatabase>;
  readonly now?: () => Date;
}

/** Compared against when the app does not exist, so both paths do the same work. */
const ABSENT_HASH = hashKey("absent");

/**
 * The key store over the registry's database.
 *
 * @example
 * ```ts
 * const keys = createAppKeyStore({ db: kysely.withSchema("registry") });
 * ```
 */
export function createAppKeyStore(deps: AppKeyStoreDeps): AppKeyStore {
  const { db } = deps;
  const now = deps.now ?? (() => new Date());

  async function authenticate(name: string, key: string): Promise<AuthOutcome> {
    if (!APP_NAME_PATTERN.test(name)) return "unknown_app";
    const row = await db
      .selectFrom("apps")
      .select(["key_hash", "previous_key_hash", "previous_key_expires_at", "disabled_at"])
      .where("name", "=", name)
      .executeTakeFirst();
    if (row === undefined) {
      keyMatches(key, ABSENT_HASH);
      return "unknown_app";
    }
    const current = keyMatches(key, row.key_hash);
    const previous =
      row.previous_key_hash !== null &&
      row.previous_key_expires_at !== null &&
      row.previous_key_expires_at > now() &&
      keyMatches(key, row.previous_key_hash);
    if (!current && !previous) return "wrong_key";
    return row.disabled_at === null ? "ok" : "disabled";
  }

  async function authenticateKey(key: string): Promise<KeyVerdict> {
    const hash = hashKey(key);
    const row = await db
      .selectFrom("apps")
      .select(["name", "disabled_at", "allowed_origins"])
      .where((eb) =>
        eb.or([
          eb("key_hash", "=", hash),
          eb.and([eb("previous_key_hash", "=", hash), eb("previous_key_expires_at", ">", now())]),
        ]),
      )
      .executeTakeFirst();
    if (row === undefined) return { outcome: "unknown_key" };
    if (row.disabled_at !== null) return { outcome: "disabled", app: row.name };
    return { outcome: "ok", app: row.name, allowedOrigins: row.allowed_origins };
  }

  return { authenticate, authenticateKey };
}

export interface AppKeyStoreOptions {
  /** The registry's Postgres. The caller owns it and ends it after the store's last use. */
  readonly pool: pg.Pool;
  /** Postgres schema holding the registry's tables (default `registry`). */
  readonly schema?: string;
}

/**
 * Opens the key store of a registry that exists: runs no migrations and writes nothing. Until
 * the registry's tables exist (another service migrates them), every check fails as an error,
 * never as a verdict.
 *
 * @example
 * ```ts
 * const keys = openAppKeyStore({ pool, schema: "registry" });
 * await keys.authenticate("acme", key); // "ok"
 * ```
 */
export function openAppKeyStore(options: AppKeyStoreOptions): AppKeyStore {
  const db = createKysely<RegistryDatabase>(options.pool).withSchema(options.schema ?? DEFAULT_REGISTRY_SCHEMA);
  return createAppKeyStore({ db });
}
