/**
 * Per-app settings. The dialect is fixed when the app is created: it shaped every name and column
 * size of the app's tables. The caps can be changed in place (`AppStore.updateSettings`, `franz
 * apps set`) and bound the columns and tables created from then on: the table cap is read from
 * the app's row whenever a table is made (schema-store.ts), and a sqlizer reads the column cap
 * again every APP_SETTINGS_TTL_MS (evolve.ts).
 */
import { DEFAULT_LIMITS, type Dialect } from "@schematizer/schema";
import { registryError } from "./registry-errors.ts";

export interface AppSettings {
  /** The warehouse the app's tables are written for; it shapes names and column sizes. */
  readonly dialect: Dialect;
  /** Most columns in one table, system columns included (7…1600; Redshift allows 1600). */
  readonly maxColumns: number;
  /** Most tables (event kinds) the app may have. */
  readonly maxTables: number;
}

export const DEFAULT_APP_SETTINGS: AppSettings = {
  dialect: "postgres",
  maxColumns: DEFAULT_LIMITS.maxColumns,
  maxTables: DEFAULT_LIMITS.maxTablesPerApp,
};

const DIALECTS: readonly Dialect[] = ["postgres", "redshift"];

/**
 * Completes settings from defaults and checks them, listing every problem at once.
 *
 * @example
 * ```ts
 * resolveAppSettings({ dialect: "redshift" }); // { dialect: "redshift", maxColumns: 1000, maxTables: 1000 }
 * resolveAppSettings({ maxColumns: 5 });       // throws REGISTRY_INVALID_SETTINGS
 * ```
 */
export function resolveAppSettings(
  partial: Partial<AppSettings> = {},
  defaults: AppSettings = DEFAULT_APP_SETTINGS,
): AppSettings {
  const settings: AppSettings = {
    dialect: partial.dialect ?? defaults.dialect,
    maxColumns: partial.maxColumns ?? defaults.maxColumns,
    maxTables: partial.maxTables ?? defaults.maxTables,
  };
  const problems: string[] = [];
  if (!DIALECTS.includes(settings.dialect)) problems.push(`dialect must be one of ${DIALECTS.join(", ")}`);
  if (!Number.isSafeInteger(settings.maxColumns) || settings.maxColumns < 7 || settings.maxColumns > 1600) {
    // Six system columns lead every table: fewer than seven leaves no room for a body field.
    problems.push(`maxColumns must be an integer from 7 to 1600, got ${String(settings.maxColumns)}`);
  }
  if (!Number.isSafeInteger(settings.maxTables) || settings.maxTables < 1) {
    problems.push(`maxTables must be a positive integer, got ${String(settings.maxTables)}`);
  }
  if (problems.length > 0) {
    throw registryError("REGISTRY_INVALID_SETTINGS", `invalid app settings: ${problems.join("; ")}`, { problems });
  }
  return settings;
}
