/**
 * Limits that keep one app from hurting the warehouse or the pipeline, each with a coded outcome.
 */
import { fail, jsonPath, ok, schemaError, type Result } from "./errors.ts";
import { ROW_LIMITS } from "./row-limits.ts";

export interface Limits {
  /** Largest accepted event, in bytes of JSON text. Bounds `_sz_unmapped` too (Redshift SUPER holds 16 MB). */
  readonly maxEventBytes: number;
  /** Deepest nesting of objects and arrays in a body (`{"a":1}` is depth 1). */
  readonly maxDepth: number;
  /** Most columns in one table, system columns included; fields beyond go to `_sz_unmapped`. Both warehouses allow 1600. */
  readonly maxColumns: number;
  /** Most tables (event kinds) per app. */
  readonly maxTablesPerApp: number;
}

export const DEFAULT_LIMITS: Limits = {
  maxEventBytes: 1_048_576,
  maxDepth: 32,
  maxColumns: 1000,
  maxTablesPerApp: 1000,
};

/**
 * Completes and checks limits. Throws on a nonsensical configuration: this runs once at start.
 *
 * @example
 * ```ts
 * const limits = resolveLimits({ maxColumns: 500 });
 * ```
 */
export function resolveLimits(partial: Partial<Limits> = {}): Limits {
  const limits = { ...DEFAULT_LIMITS, ...partial };
  const problems: string[] = [];
  for (const [key, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value < 1) problems.push(`${key} must be a positive integer, got ${String(value)}`);
  }
  const warehouseColumns = Math.min(ROW_LIMITS.postgres.maxColumns, ROW_LIMITS.redshift.maxColumns);
  if (limits.maxColumns > warehouseColumns) {
    problems.push(`maxColumns must be at most ${warehouseColumns} (Postgres and Redshift), got ${limits.maxColumns}`);
  }
  if (limits.maxColumns < 7) problems.push(`maxColumns must leave room beyond the 6 system columns, got ${limits.maxColumns}`);
  if (problems.length > 0) throw new Error(`invalid schema limits: ${problems.join("; ")}`);
  return limits;
}

/**
 * Whether an event of `bytes` bytes is accepted.
 *
 * @example
 * ```ts
 * checkEventSize(2_000_000, DEFAULT_LIMITS); // { ok: false, errors: [{ code: "EVENT_TOO_LARGE", … }] }
 * ```
 */
export function checkEventSize(bytes: number, limits: Limits = DEFAULT_LIMITS): Result<number> {
  if (bytes <= limits.maxEventBytes) return ok(bytes);
  return fail([
    schemaError("EVENT_TOO_LARGE", "$", `event is ${bytes} bytes; the limit is ${limits.maxEventBytes}`),
  ]);
}

/**
 * Whether an app that has `currentTables` tables may create one more.
 *
 * @example
 * ```ts
 * checkTableCount(999, DEFAULT_LIMITS).ok;  // true
 * checkTableCount(1000, DEFAULT_LIMITS).ok; // false
 * ```
 */
export function checkTableCount(currentTables: number, limits: Limits = DEFAULT_LIMITS): Result<number> {
  if (currentTables < limits.maxTablesPerApp) return ok(currentTables + 1);
  return fail([
    schemaError(
      "TABLE_LIMIT_REACHED",
      "$",
      `the app has ${currentTables} tables; the limit is ${limits.maxTablesPerApp}`,
    ),
  ]);
}

/**
 * The path of the first container nested deeper than `maxDepth` in `value`, or `undefined`.
 * Descends no further than the limit, so it is cheap and cannot exhaust the stack.
 *
 * @example
 * ```ts
 * tooDeepAt({ a: { b: 1 } }, 1, "$.body"); // "$.body.a"
 * ```
 */
export function tooDeepAt(value: unknown, maxDepth: number, path: string): string | undefined {
  // Paths are only built once we know there is one to report.
  if (!exceeds(value, maxDepth, 1)) return undefined;
  return locate(value, maxDepth, path, 1);
}

function exceeds(value: unknown, maxDepth: number, depth: number): boolean {
  if (value === null || typeof value !== "object") return false;
  if (depth > maxDepth) return true;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const v: unknown = value[i];
      if (v !== null && typeof v === "object" && exceeds(v, maxDepth, depth + 1)) return true;
    }
    return false;
  }
  const obj = value as Record<string, unknown>;
  for (const key in obj) {
    const v = obj[key];
    if (v !== null && typeof v === "object" && exceeds(v, maxDepth, depth + 1)) return true;
  }
  return false;
}

function locate(value: unknown, maxDepth: number, path: string, depth: number): string | undefined {
  if (value === null || typeof value !== "object") return undefined;
  if (depth > maxDepth) return path;
  const entries: [string, unknown][] = Array.isArray(value)
    ? value.map((v: unknown, i) => [`${path}[${i}]`, v])
    : Object.entries(value as Record<string, unknown>).map(([k, v]) => [jsonPath(path, k), v]);
  for (const [p, v] of entries) {
    const found = locate(v, maxDepth, p, depth + 1);
    if (found !== undefined) return found;
  }
  return undefined;
}
