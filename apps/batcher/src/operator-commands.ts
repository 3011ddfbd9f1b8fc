/**
 * The batcher's operator commands, on the ledger: see the parked batches and their reasons, and
 * send them back to the loader once the cause is fixed.
 */
import { CodedError } from "@schematizer/errors";
import type { Ledger, ParkedBatch } from "./ledger.ts";

export const BATCHER_USAGE = `batcher: operator commands on the ledger

usage: npm run batcher -- <command> [options]

  parked [--app <app>]            parked batches: id, app, table, rows, when, and why
  retry <id> [<id> ...]           send these parked batches back to the loader
  retry --all [--app <app>]       send every parked batch (of one app) back to the loader

options: --json  print JSON instead of text
The ledger is found from the environment (DATABASE_URL, BATCHER_SCHEMA).`;

/**
 * Runs one command against the ledger; returns what to print. Throws BATCHER_BAD_COMMAND (with the
 * usage) for a command it does not know.
 *
 * @example
 * ```ts
 * await operatorCommand(["retry", "--all", "--app", "acme"], ledger); // "sent 2 parked batches back to the loader: 17, 18"
 * ```
 */
export async function operatorCommand(argv: readonly string[], ledger: Ledger): Promise<string> {
  const words: string[] = [];
  const flags = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === "--app") flags.set("app", argv[++i] ?? "");
    else if (arg.startsWith("--")) flags.set(arg.slice(2), true);
    else words.push(arg);
  }
  const app = flags.get("app");
  if (app === "") throw bad("--app needs an app name");
  const appName = typeof app === "string" ? app : undefined;
  const json = flags.has("json");
  const [command, ...ids] = words;

  if (command === "parked") {
    const parked = await ledger.parked(appName);
    if (json) return JSON.stringify(parked, null, 2);
    return parked.length === 0 ? "no parked batches" : parked.map(describe).join("\n");
  }
  if (command === "retry") {
    if (flags.has("all") === ids.length > 0) throw bad("retry takes batch ids or --all");
    if (ids.some((id) => !/^\d+$/.test(id))) throw bad(`batch ids are numbers: ${ids.join(" ")}`);
    const sent = await ledger.retryParked(flags.has("all") ? { app: appName } : { ids, app: appName });
    const notParked = ids.filter((id) => !sent.includes(String(BigInt(id))));
    if (json) return JSON.stringify({ sent, notParked }, null, 2);
    const lines = [`sent ${sent.length} parked batch${sent.length === 1 ? "" : "es"} back to the loader${sent.length > 0 ? `: ${sent.join(", ")}` : ""}`];
    if (notParked.length > 0) lines.push(`not parked (already loaded, pending, or unknown): ${notParked.join(", ")}`);
    return lines.join("\n");
  }
  throw bad(command === undefined ? "no command" : `unknown command ${command}`);
}

function describe(b: ParkedBatch): string {
  return `${b.id.padStart(8)}  ${b.app}.${b.table} v${b.version}  ${b.rows} rows  parked ${b.parkedAt.toISOString()} after ${b.attempts} attempt${b.attempts === 1 ? "" : "s"}\n          ${b.code}: ${b.reason}\n          ${b.dataKey}`;
}

function bad(message: string): CodedError {
  return new CodedError("BATCHER_BAD_COMMAND", `${message}\n\n${BATCHER_USAGE}`, { retriable: false });
}
