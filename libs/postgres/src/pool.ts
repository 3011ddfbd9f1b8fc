import { Kysely, PostgresDialect } from "kysely";
import pg from "pg";
import { quoteIdent } from "./sql-quoting.ts";

/**
 * A pg pool. `searchPath` pins every connection to one schema, which is how tests isolate.
 *
 * @example
 * const pool = createPool({ connectionString: process.env.DATABASE_URL!, max: 10 });
 */
export function createPool(options: { connectionString: string; max?: number; searchPath?: string; applicationName?: string }): pg.Pool {
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.max ?? 10,
    application_name: options.applicationName ?? "schematizer",
    options: options.searchPath ? `-c search_path=${quoteIdent(options.searchPath)}` : undefined,
  });
  // An idle client whose server went away emits 'error'; without a listener that crashes the process.
  pool.on("error", () => undefined);
  return pool;
}

/** A Kysely instance over a pool. */
export function createKysely<DB>(pool: pg.Pool): Kysely<DB> {
  return new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
}

/** Returns a copy of the URL pointing at another database on the same server. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${encodeURIComponent(database)}`;
  return u.toString();
}
