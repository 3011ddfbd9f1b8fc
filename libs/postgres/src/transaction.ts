/**
 * The one way the project runs a transaction by hand (the registry's run through Kysely's).
 */
import type pg from "pg";

/** What a transaction runs on: a pool (a connection is taken for it) or a connection in hand. */
export type TransactionHost = pg.Pool | pg.ClientBase;

function isPool(host: TransactionHost): host is pg.Pool {
  return typeof (host as Partial<pg.Pool>).totalCount === "number";
}

/**
 * Runs `work` between BEGIN and COMMIT; when it throws, rolls back and throws its error (a failed
 * rollback is not allowed to hide it). Given a pool, it takes a connection for the transaction
 * and gives it back; given a connection, it uses that one (work before or after the transaction
 * can then share its session). To end a transaction without writing, write nothing and return.
 *
 * @example
 * ```ts
 * const id = await inTransaction(pool, async (client) => {
 *   const { rows } = await client.query("INSERT INTO t (x) VALUES ($1) RETURNING id", [x]);
 *   await client.query("SELECT pg_notify('t', $1)", [String(rows[0].id)]);
 *   return rows[0].id;
 * });
 * ```
 */
export async function inTransaction<T>(host: TransactionHost, work: (client: pg.ClientBase) => Promise<T>): Promise<T> {
  if (isPool(host)) {
    const client = await host.connect();
    try {
      return await inTransaction(client, work);
    } finally {
      client.release();
    }
  }
  await host.query("BEGIN");
  let result: T;
  try {
    result = await work(host);
  } catch (error) {
    await host.query("ROLLBACK").catch(() => undefined);
    throw error;
  }
  await host.query("COMMIT");
  return result;
}
