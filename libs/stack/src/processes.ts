import { spawn } from "node:child_process";
import { mkdirSync, openSync, readFileSync, rmSync, writeFileSync, closeSync } from "node:fs";
import path from "node:path";
import { CodedError, sleep, waitFor } from "@schematizer/errors";

/**
 * A long-running process of the stack, tracked by a pid file. `marker` (the stack's folder) is
 * a string its command line must contain, so a recycled pid is never mistaken for ours.
 */
export interface ManagedProcess {
  name: string;
  pidFile: string;
  logFile: string;
  marker: string;
}

export function managedProcess(stackDir: string, name: string): ManagedProcess {
  return {
    name,
    pidFile: path.join(stackDir, "run", `${name}.pid`),
    logFile: path.join(stackDir, "logs", `${name}.log`),
    marker: stackDir,
  };
}

/** Starts the command in its own process group, detached from ours, output appended to its log. */
export function spawnDetached(
  proc: ManagedProcess,
  command: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; uid?: number; gid?: number } = {},
): number {
  mkdirSync(path.dirname(proc.pidFile), { recursive: true });
  mkdirSync(path.dirname(proc.logFile), { recursive: true });
  const log = openSync(proc.logFile, "a");
  try {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      detached: true,
      stdio: ["ignore", log, log],
      ...(options.uid === undefined ? {} : { uid: options.uid, gid: options.gid }),
    });
    if (child.pid === undefined) throw new Error(`could not start ${proc.name}: ${command}`);
    child.unref();
    writeFileSync(proc.pidFile, String(child.pid));
    return child.pid;
  } finally {
    closeSync(log);
  }
}

/** The pid of the process when it is running and is ours; otherwise undefined (and a stale pid file is removed). */
export function runningPid(proc: ManagedProcess): number | undefined {
  let pid: number;
  try {
    pid = Number(readFileSync(proc.pidFile, "utf8").trim());
  } catch {
    return undefined;
  }
  if (Number.isInteger(pid) && pid > 0 && isOurs(pid, proc.marker)) return pid;
  rmSync(proc.pidFile, { force: true });
  return undefined;
}

function isOurs(pid: number, marker: string): boolean {
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8");
    const state = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.[0];
    return cmdline.includes(marker) && state !== "Z";
  } catch {
    return false;
  }
}

/**
 * Asks the process group to stop with `signal`, waits up to `graceMs`, then kills what is left.
 * Returns true when something was running.
 */
export async function stopProcess(proc: ManagedProcess, signal: NodeJS.Signals = "SIGTERM", graceMs = 30_000): Promise<boolean> {
  const pid = runningPid(proc);
  if (pid === undefined) return false;
  signalGroup(pid, signal);
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline && isOurs(pid, proc.marker)) await sleep(100);
  if (isOurs(pid, proc.marker)) {
    signalGroup(pid, "SIGKILL");
    while (isOurs(pid, proc.marker)) await sleep(50);
  }
  rmSync(proc.pidFile, { force: true });
  return true;
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

/** The last lines of a log, for error messages that say why a service did not come up. */
export function logTail(proc: ManagedProcess, lines = 20): string {
  try {
    return readFileSync(proc.logFile, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}

/** Waits until `ready` answers true; fails at once, with the log's tail, if the process exits first. */
export async function waitUntilReady(proc: ManagedProcess, ready: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  await waitFor(
    proc.name,
    async () => {
      if (runningPid(proc) === undefined) {
        throw new CodedError("STACK_SERVICE_EXITED", `${proc.name} exited; see ${proc.logFile}:\n${logTail(proc)}`);
      }
      return (await ready()) ? true : undefined;
    },
    { timeoutMs, intervalMs: 200 },
  );
}
