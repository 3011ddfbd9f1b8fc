/**
 * Apps: their write keys and settings. franz creates, rotates, disables and lists; the checks of
 * a key are the key store's (app-key-store.ts), which event-sink opens alone.
 */
import { APP_NAME_PATTERN } from "@schematizer/contracts";
import type { Dialect } from "@schematizer/schema";
import type { Kysely, Selectable } from "kysely";
import { createAppKeyStore, type AppKeyStore } from "./app-key-store.ts";
import { generateKey, hashKey } from "./app-keys.ts";
import { resolveAllowedOrigins } from "./app-origins.ts";
import { resolveAppSettings, type AppSettings } from "./app-settings.ts";
import { pgErrorOf, UNIQUE_VIOLATION, type AppsTable, type RegistryDatabase } from "./database.ts";
import { registryError } from "./registry-errors.ts";

/** What an operator sees of an app; never its key or the key's hash. */
export interface AppInfo {
  readonly name: string;
  readonly settings: AppSettings;
  readonly disabled: boolean;
  readonly createdAt: Date;
  readonly keyRotatedAt: Date;
  /** Web origins whose pages may send the app's events (canonical entries; see app-origins.ts). */
  readonly allowedOrigins: readonly string[];
}

/** The key checks, and what operators do to apps. */
export interface AppStore extends AppKeyStore {
  /**
   * Creates an app and returns its write key, the only time the key is ever shown.
   * Throws REGISTRY_INVALID_APP_NAME, REGISTRY_APP_EXISTS or REGISTRY_INVALID_SETTINGS.
   *
   * @example
   * ```ts
   * const { key } = await apps.createApp("acme", { dialect: "redshift" });
   * ```
   */
  createApp(name: string, settings?: Partial<AppSettings>): Promise<{ app: AppInfo; key: string }>;
  /**
   * Replaces the web origins whose pages may send the app's events; `[]` refuses every browser,
   * `["*"]` accepts any page. Throws REGISTRY_INVALID_SETTINGS (every bad entry listed) or
   * REGISTRY_UNKNOWN_APP.
   *
   * @example
   * ```ts
   * await apps.setAllowedOrigins("acme", ["https://shop.example.com", "https://*.example.com"]);
   * ```
   */
  setAllowedOrigins(name: string, origins: readonly string[]): Promise<AppInfo>;
  /**
   * Changes an app's column and table caps in place; the settings not given stay. They bound the
   * columns and tables created from then on (a lower cap removes nothing). The dialect is fixed at
   * creation: it shaped every name the app's tables have. Throws REGISTRY_INVALID_SETTINGS (a value
   * out of range, or a dialect) or REGISTRY_UNKNOWN_APP.
   *
   * @example
   * ```ts
   * await apps.updateSettings("acme", { maxTables: 2000 });
   * ```
   */
  updateSettings(name: string, changes: Partial<AppSettings>): Promise<AppInfo>;
  /**
   * Replaces an app's key and returns the new one. With `graceSeconds`, the previous key keeps
   * working that long, so clients can be redeployed without a gap.
   *
   * @example
   * ```ts
   * const { key } = await apps.rotateKey("acme", { graceSeconds: 3600 });
   * ```
   */
  rotateKey(name: string, options?: { graceSeconds?: number }): Promise<{ key: string }>;
  /**
   * Refuses the app's keys from now on (authenticate answers "disabled"); its data stays.
   *
   * @example
   * ```ts
   * await apps.disableApp("acme");
   * ```
   */
  disableApp(name: string): Promise<AppInfo>;
  /**
   * Lifts {@link AppStore.disableApp}.
   *
   * @example
   * ```ts
   * await apps.enableApp("acme");
   * ```
   */
  enableApp(name: string): Promise<AppInfo>;
  /**
   * Every app, by name.
   *
   * @example
   * ```ts
   * (await apps.listApps()).map((a) => a.name); // ["acme", "globex"]
   * ```
   */
  listApps(): Promise<AppInfo[]>;
  /**
   * One app with its settings, or undefined.
   *
   * @example
   * ```ts
   * (await apps.getApp("acme"))?.settings.dialect; // "redshift"
   * ```
   */
  getApp(name: string): Promise<AppInfo | undefined>;
}

export interface AppStoreDeps {
  readonly db: Kysely<RegistryDatabase>;
  /** Settings of apps created without them. */
  readonly defaults?: AppSettings;
  readonly now?: () => Date;
}

/**
 * The app store over the registry's database.
 *
 * @example
 * ```ts
 * const apps = createAppStore({ db: kysely.withSchema("registry") });
 * ```
 */
export function createAppStore(deps: AppStoreDeps): AppStore {
  const { db } = deps;
  const now = deps.now ?? (() => new Date());
  const keys = createAppKeyStore({ db, now });

  async function createApp(name: string, partial: Partial<AppSettings> = {}): Promise<{ app: AppInfo; key: string }> {
    checkName(name);
    const settings = resolveAppSettings(partial, deps.defaults);
    const key = generateKey();
    try {
      const row = await db
        .insertInto("apps")
        .values({
          name,
          key_hash: hashKey(key),
          dialect: settings.dialect,
          max_columns: settings.maxColumns,
          max_tables: settings.maxTables,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return { app: toInfo(row), key };
    } catch (error) {
      if (pgErrorOf(error)?.code === UNIQUE_VIOLATION) {
        throw registryError("REGISTRY_APP_EXISTS", `an app named ${name} already exists`, { app: name });
      }
      throw error;
    }
  }

  async function setAllowedOrigins(name: string, origins: readonly string[]): Promise<AppInfo> {
    const canonical = resolveAllowedOrigins(origins);
    if (!APP_NAME_PATTERN.test(name)) throw unknownApp(name);
    const row = await db
      .updateTable("apps")
      .set({ allowed_origins: canonical })
      .where("name", "=", name)
      .returningAll()
      .executeTakeFirst();
    if (row === undefined) throw unknownApp(name);
    return toInfo(row);
  }

  async function updateSettings(name: string, changes: Partial<AppSettings>): Promise<AppInfo> {
    if (changes.dialect !== undefined) {
      throw registryError("REGISTRY_INVALID_SETTINGS", "an app's dialect is fixed when it is created", { app: name });
    }
    // Checked against the defaults: each cap stands alone, so the ones not given need not be read.
    resolveAppSettings(changes, deps.defaults);
    const set = {
      ...(changes.maxColumns === undefined ? {} : { max_columns: changes.maxColumns }),
      ...(changes.maxTables === undefined ? {} : { max_tables: changes.maxTables }),
    };
    if (Object.keys(set).length === 0) {
      const app = await getApp(name);
      if (app === undefined) throw unknownApp(name);
      return app;
    }
    if (!APP_NAME_PATTERN.test(name)) throw unknownApp(name);
    const row = await db.updateTable("apps").set(set).where("name", "=", name).returningAll().executeTakeFirst();
    if (row === undefined) throw unknownApp(name);
    return toInfo(row);
  }

  async function rotateKey(name: string, options: { graceSeconds?: number } = {}): Promise<{ key: string }> {
    const grace = options.graceSeconds ?? 0;
    if (!Number.isFinite(grace) || grace < 0) {
      throw registryError("REGISTRY_INVALID_SETTINGS", `graceSeconds must be a non-negative number, got ${grace}`);
    }
    if (!APP_NAME_PATTERN.test(name)) throw unknownApp(name);
    const key = generateKey();
    const at = now();
    const expires = grace > 0 ? new Date(at.getTime() + grace * 1000) : null;
    const row = await db
      .updateTable("apps")
      .set((eb) => ({
        previous_key_hash: expires === null ? null : eb.ref("key_hash"),
        previous_key_expires_at: expires,
        key_hash: hashKey(key),
        key_rotated_at: at,
      }))
      .where("name", "=", name)
      .returning("id")
      .executeTakeFirst();
    if (row === undefined) throw unknownApp(name);
    return { key };
  }

  async function setDisabled(name: string, disabled: boolean): Promise<AppInfo> {
    if (!APP_NAME_PATTERN.test(name)) throw unknownApp(name);
    const row = await db
      .updateTable("apps")
      .set((eb) => ({ disabled_at: disabled ? eb.fn.coalesce("disabled_at", eb.val(now())) : null }))
      .where("name", "=", name)
      .returningAll()
      .executeTakeFirst();
    if (row === undefined) throw unknownApp(name);
    return toInfo(row);
  }

  async function listApps(): Promise<AppInfo[]> {
    const rows = await db.selectFrom("apps").selectAll().orderBy("name").execute();
    return rows.map(toInfo);
  }

  async function getApp(name: string): Promise<AppInfo | undefined> {
    if (!APP_NAME_PATTERN.test(name)) return undefined;
    const row = await db.selectFrom("apps").selectAll().where("name", "=", name).executeTakeFirst();
    return row === undefined ? undefined : toInfo(row);
  }

  return {
    createApp,
    authenticate: keys.authenticate,
    authenticateKey: keys.authenticateKey,
    setAllowedOrigins,
    updateSettings,
    rotateKey,
    disableApp: (name) => setDisabled(name, true),
    enableApp: (name) => setDisabled(name, false),
    listApps,
    getApp,
  };
}

function checkName(name: string): void {
  if (!APP_NAME_PATTERN.test(name)) {
    throw registryError(
      "REGISTRY_INVALID_APP_NAME",
      `app name ${JSON.stringify(name)} must match ${String(APP_NAME_PATTERN)}`,
      { app: name },
    );
  }
}

function unknownApp(name: string) {
  return registryError("REGISTRY_UNKNOWN_APP", `no app named ${name}`, { app: name });
}

function toInfo(row: Selectable<AppsTable>): AppInfo {
  return {
    name: row.name,
    settings: { dialect: row.dialect as Dialect, maxColumns: row.max_columns, maxTables: row.max_tables },
    disabled: row.disabled_at !== null,
    createdAt: row.created_at,
    keyRotatedAt: row.key_rotated_at,
    allowedOrigins: row.allowed_origins,
  };
}
