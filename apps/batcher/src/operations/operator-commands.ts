/**
 * The batcher's operator commands, on the ledger: see the parked batches and the rows set aside,
 * with their reasons, and send them back to the loader once the cause is fixed.
 */
import type { ObjectStore } from "@schematizer/s3";
import { batcherError } from "../batcher-codes.ts";
import type { Ledger, ParkedFile } from "../ledger/ledger.ts";
import { reloadSetAside } from "./set-aside-reload.ts";
import type { SetAsideRow } from "../ledger/set-aside-ledger.ts";

export const BATCHER_USAGE = `batcher: operator commands on the ledger

usage: npm run batcher -- <command> [options]

  parked [--app <app>]            parked batches: id, app, table, rows, when, and why
  retry <id> [<id> ...]           send these parked batches back to the loader
  retry --all [--app <app>]       send every parked batch (of one app) back to the loader
  set-aside [--app <app>]         rows the warehouse refused: id, table, file and line, why, and the row
  reload <id> [<id> ...]          load these set-aside rows again (as a new batch file)
  reload --all [--app <app>]      load every set-aside row (of one app) again

options: --json  print JSON instead of text
The ledger is found from the environment (DATABASE_URL, BATCHER_SCHEMA); reload writes its files
to the bucket (S3_*).`;

/** The longest CSV shown per set-aside row in text output (--json shows it whole). */
const SHOWN_CSV = 200;

/**
 * Runs one command against the ledger (and, to reload rows, the bucket); returns what to print.
 * Throws BATCHER_BAD_COMMAND (with the usage) for a command it does not know.
 *
 * @example
 * ```ts
 * await operatorCommand(["retry", "--all", "--app", "acme"], ledger); // "sent 2 parked batches back to the loader: 17, 18"
 * ```
 */
export async function operatorCommand(argv: readonly string[], ledger: Ledger, store?: ObjectStore): Promise<string> {
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
  const selection = () => {
    if (flags.has("all") === ids.length > 0) throw bad(`${command} takes ids or --all`);
    if (ids.some((id) => !/^\d+$/.test(id))) throw bad(`ids are numbers: ${ids.join(" ")}`);
    return flags.has("all") ? { app: appName } : { ids, app: appName };
  };

  if (command === "parked") {
    const parked = await ledger.operators.parked(appName);
    if (json) return JSON.stringify(parked, null, 2);
    return parked.length === 0 ? "no parked batches" : parked.map(describeParked).join("\n");
  }
  if (command === "retry") {
    const chosen = selection();
    const sent = await ledger.operators.retryParked(chosen);
    const notParked = ids.filter((id) => !sent.includes(String(BigInt(id))));
    if (json) return JSON.stringify({ sent, notParked }, null, 2);
    const lines = [`sent ${sent.length} parked batch${sent.length === 1 ? "" : "es"} back to the loader${sent.length > 0 ? `: ${sent.join(", ")}` : ""}`];
    if (notParked.length > 0) lines.push(`not parked (already loaded, pending, or unknown): ${notParked.join(", ")}`);
    return lines.join("\n");
  }
  if (command === "set-aside") {
    const rows = await ledger.setAside.list(appName);
    if (json) return JSON.stringify(rows.map((r) => ({ ...r, csv: r.csv.toString("utf8") })), null, 2);
    return rows.length === 0 ? "no rows set aside" : rows.map(describeSetAside).join("\n");
  }
  if (command === "reload") {
    const chosen = selection();
    if (store === undefined) throw batcherError("BATCHER_NO_STORE", "reload writes the rows to the bucket, and was given none");
    const { queued, skipped } = await reloadSetAside(ledger, store, chosen);
    const reloaded = queued.flatMap((q) => q.rows);
    const notSetAside = ids.filter((id) => !reloaded.includes(String(BigInt(id))) && !skipped.includes(String(BigInt(id))));
    if (json) return JSON.stringify({ queued, skipped, notSetAside }, null, 2);
    const lines = [
      `queued ${reloaded.length} set-aside row${reloaded.length === 1 ? "" : "s"} for loading in ${queued.length} batch${queued.length === 1 ? "" : "es"}${queued.length > 0 ? `: ${queued.map((q) => `${q.batch} (${q.app}.${q.table}, ${q.rows.length} rows)`).join(", ")}` : ""}`,
    ];
    if (skipped.length > 0) lines.push(`reloaded meanwhile by someone else: ${skipped.join(", ")}`);
    if (notSetAside.length > 0) lines.push(`not set aside (already reloaded, or unknown): ${notSetAside.join(", ")}`);
    return lines.join("\n");
  }
  throw bad(command === undefined ? "no command" : `unknown command ${command}`);
}

function describeParked(b: ParkedFile): string {
  return `${b.id.padStart(8)}  ${b.app}.${b.table} v${b.version}  ${b.rows} rows  parked ${b.parkedAt.toISOString()} after ${b.attempts} attempt${b.attempts === 1 ? "" : "s"}\n          ${b.code}: ${b.reason}\n          ${b.dataKey}`;
}

function describeSetAside(r: SetAsideRow): string {
  const csv = r.csv.toString("utf8");
  const shown = JSON.stringify(csv.length > SHOWN_CSV ? `${csv.slice(0, SHOWN_CSV)}…` : csv);
  return `${r.id.padStart(8)}  ${r.app}.${r.table} v${r.version}  ${r.dataKey} line ${r.line}  set aside ${r.createdAt.toISOString()}\n          ${r.code}: ${r.reason}\n          ${shown}`;
}

function bad(message: string) {
  return batcherError("BATCHER_BAD_COMMAND", `${message}\n\n${BATCHER_USAGE}`);
}
