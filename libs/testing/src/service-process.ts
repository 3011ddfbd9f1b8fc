import { spawn, type ChildProcess } from "node:child_process";
import { waitFor } from "@schematizer/errors";
import { repoRoot, serviceCommand, type ServiceName } from "@schematizer/stack";

/** One of the project's services running as a real child process, as in production. */
export interface ServiceProcess {
  readonly pid: number;
  /** Everything it printed so far (JSON log lines). */
  output(): string;
  /** Resolves once a log line contains `text`. */
  waitForLog(text: string, timeoutMs?: number): Promise<void>;
  /** kill -9: no cleanup, no commit, no goodbye. */
  kill(): Promise<void>;
  /** SIGTERM, and waits for a clean exit; resolves to the exit code. */
  stop(): Promise<number | null>;
}

/**
 * Starts a service as it runs in production: its bundle (`apps/<name>/dist/main.js`, built by the
 * integration project's global setup) on the Node running the tests, with the given environment
 * on top of the current one.
 *
 * @example
 * const sqlizer = await startService("sqlizer", { KAFKA_BROKERS: "…", TOPIC_PREFIX: kafka.prefix });
 * await sqlizer.waitForLog("sqlizer running");
 */
export function startService(app: ServiceName, env: Record<string, string>): ServiceProcess {
  // One process, the service itself, so that a kill -9 leaves nothing behind.
  const { command, args } = serviceCommand(app);
  const child: ChildProcess = spawn(command, args, {
    cwd: repoRoot(),
    env: { ...process.env, LOG_LEVEL: "info", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  let alive = true;
  void exited.then(() => (alive = false));

  return {
    pid: child.pid!,
    output: () => output,
    waitForLog: (text, timeoutMs = 30_000) =>
      waitFor(`${app} to log "${text}"`, async () => {
        if (output.includes(text)) return true;
        if (!alive) throw new Error(`${app} exited:\n${output.slice(-3000)}`);
        return undefined;
      }, { timeoutMs, intervalMs: 50 }).then(() => undefined),
    async kill() {
      if (alive) child.kill("SIGKILL");
      await exited;
    },
    async stop() {
      if (alive) child.kill("SIGTERM");
      return exited;
    },
  };
}
