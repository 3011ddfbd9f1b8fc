import { topicPattern } from "@schematizer/contracts";
import { createLogger, createMetricsRegistry } from "@schematizer/observability";
import type { AppSettings } from "@schematizer/registry";
import { s3Client, s3ObjectStore } from "@schematizer/s3";
import { createAutoscaler } from "./autoscaler.ts";
import { franzConfigSchema, type FranzConfig } from "./config.ts";
import type { LedgerSummary } from "./batcher-ledger.ts";
import { createControl, type AppDescription } from "./control.ts";
import { franzError, toFranzError } from "./franz-errors.ts";
import { formatCounts, formatLetter, parseSince, type LetterFilter } from "./dead-letters.ts";
import { openFranzRuntime, recoveryDeps, type FranzRuntime } from "./franz-runtime.ts";
import { DEFAULT_REPLAY_RATE, replayArchive, stderrProgress } from "./replay.ts";
import { replayText, type ReplayReport } from "./replay-progress.ts";
import { replayWindow } from "./replay-selection.ts";
import { eventLimits, parseEnv, s3Settings } from "@schematizer/config";

export const USAGE = `franz: schematizer's control plane

usage: npm run franz -- <command> [options]

  apps create <name> [--dialect postgres|redshift] [--max-columns N] [--max-tables N]
                                  create an app, its raw/sql/dlq topics, and print its write key (shown once)
  apps list                       every app
  apps describe <name>            topics, partitions, consumer lag, tables and their versions; what waits for an
                                  operator: dead letters by reason, rows the loader set aside, parked files; the
                                  raw archive: files, events, and the newest received time archived
  apps rotate-key <name> [--grace-seconds N]
                                  a new write key; the old one works N more seconds (default 0)
  apps disable <name>             refuse the app's events from now on (its data stays)
  apps enable <name>
  apps origins <name> [<origin> ...] [--clear]
                                  web origins whose pages may send the app's events to the tracking API
                                  (https://shop.example.com, https://*.example.com, or *): with origins,
                                  replaces the list; --clear empties it (browsers refused); alone, prints it
  apps set <name> [--max-columns N] [--max-tables N]
                                  change the app's caps in place; they bound the columns and tables made from
                                  then on (tables at once, columns within 10 s: no restart needed)
  apps repair-topics <name>       create whatever topics of the app are missing, and raise their
                                  max.message.bytes to what EVENT_MAX_BYTES needs (franz does it for every app at start)
  dlq list <app> [--reason CODE] [--since TIME] [--limit N]
                                  the app's dead letters counted by reason, and the latest N (default 20) the
                                  filters pick: id, reason, received time, table, and the event's first characters
  dlq redrive <app> [--reason CODE] [--since TIME] [--ids ID ...] [--dry-run] [--limit N]
                                  send the letters picked (all without a filter) back to raw.<app>, each event once
                                  with its own id and received time: the warehouse keeps one row per id, so a second
                                  redrive changes nothing; --dry-run prints what would be sent (the first N) and
                                  writes nothing.
                                  Rows the loader set aside go back with npm run batcher -- reload
  replay <app> --from TIME --to TIME [--entype X] [--evname Y] [--dry-run] [--rate N]
                                  send the app's events received in [--from, --to) again to raw.<app>, from the
                                  raw archive (the files the batcher's ledger names archived, read from S3_BUCKET):
                                  each with its key, exact bytes, id and received time, so the warehouse keeps one
                                  row per id and a second replay changes nothing; --entype/--evname only the events
                                  of that table; at most N events/s (default ${DEFAULT_REPLAY_RATE}, so the live events keep
                                  their freshness); --dry-run reads and counts, and sends nothing. Progress on stderr,
                                  the count on stdout; exits 1 when a file was missing or could not be read
                                  (CODE: a reason code, or a prefix ending in * such as EVENT_*;
                                  TIME: an ISO 8601 time, or a while ago: 30m, 2h, 7d)
  tables lineage <app> <table>    a table's schema versions and what each changed
  topics rebalance [--dry-run] [--window-seconds N]
                                  measure every topic's produce rate over N seconds (default 10) and
                                  add partitions where one runs hot

options: --json  print JSON instead of text
Connection settings come from the environment (KAFKA_BROKERS, DATABASE_URL, REGISTRY_SCHEMA, BATCHER_SCHEMA, TOPIC_PREFIX, EVENT_MAX_BYTES, S3_*, FRANZ_*).`;

interface Parsed {
  words: string[];
  flags: Map<string, string | true>;
}

/** Splits `apps create acme --dialect redshift --json` into words and flags. */
export function parseArgs(argv: string[]): Parsed {
  const words: string[] = [];
  const flags = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith("--")) {
      words.push(arg);
      continue;
    }
    const [name, inline] = arg.slice(2).split("=", 2) as [string, string | undefined];
    const next = argv[i + 1];
    if (inline !== undefined) flags.set(name, inline);
    else if (next !== undefined && !next.startsWith("--") && VALUED.has(name)) flags.set(name, argv[++i]!);
    else flags.set(name, true);
  }
  return { words, flags };
}

const VALUED = new Set(["dialect", "max-columns", "max-tables", "grace-seconds", "window-seconds", "reason", "since", "limit", "from", "to", "entype", "evname", "rate"]);

function intFlag(flags: Parsed["flags"], name: string): number | undefined {
  const value = flags.get(name);
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw franzError("FRANZ_BAD_REQUEST", `--${name} takes a whole number, got ${String(value)}`);
  return n;
}

function textFlag(flags: Parsed["flags"], name: string): string | undefined {
  const value = flags.get(name);
  if (value === true) throw franzError("FRANZ_BAD_REQUEST", `--${name} takes a value`);
  return value;
}

/**
 * The dead letters a `dlq` command picks: `--reason`, `--since`, and the ids of `--ids` (the words
 * after the app's name, or `--ids=a,b`).
 *
 * @example
 * letterFilter(parseArgs(["dlq", "redrive", "acme", "--ids", "e1", "e2"]), ["e1", "e2"], new Date()); // { ids: Set { "e1", "e2" } }
 */
export function letterFilter(parsed: Parsed, words: string[], now: Date): LetterFilter {
  const { flags } = parsed;
  const since = textFlag(flags, "since");
  const listed = flags.get("ids");
  const ids = [...(typeof listed === "string" ? listed.split(",") : []), ...words].filter((id) => id !== "");
  if (words.length > 0 && listed === undefined) throw franzError("FRANZ_BAD_REQUEST", `unexpected ${words.join(" ")}; ids to pick follow --ids`);
  if (listed !== undefined && ids.length === 0) throw franzError("FRANZ_BAD_REQUEST", "--ids needs at least one id");
  return {
    reason: textFlag(flags, "reason"),
    since: since === undefined ? undefined : parseSince(since, now),
    ids: listed === undefined ? undefined : new Set(ids),
  };
}

async function run(argv: string[]): Promise<number> {
  const { words, flags } = parseArgs(argv);
  const [group, command, ...rest] = words;
  if (group === undefined || flags.has("help") || group === "help") {
    console.log(USAGE);
    return group === undefined && !flags.has("help") ? 2 : 0;
  }
  const json = flags.has("json");
  // The CLI needs no admin token: it acts with the database's and the cluster's own credentials.
  const config = parseEnv(franzConfigSchema, { FRANZ_ADMIN_TOKEN: "cli-does-not-serve-http", ...process.env });
  const runtime = await openFranzRuntime(config);
  const control = createControl({ registry: runtime.registry, admin: runtime.admin, config, recovery: recoveryDeps(runtime, config) });
  const print = (value: unknown, text: () => string) => console.log(json ? JSON.stringify(value, null, 2) : text());
  const need = (value: string | undefined, what: string) => {
    if (!value) throw franzError("FRANZ_BAD_REQUEST", `missing ${what}; see --help`);
    return value;
  };
  try {
    // `replay <app>`: the one command of a single word.
    const key = group === "replay" ? group : `${group} ${command ?? ""}`.trim();
    switch (key) {
      case "apps create": {
        const settings: Partial<AppSettings> = {};
        const dialect = flags.get("dialect");
        if (dialect !== undefined) {
          if (dialect !== "postgres" && dialect !== "redshift") throw franzError("FRANZ_BAD_REQUEST", "--dialect is postgres or redshift");
          Object.assign(settings, { dialect });
        }
        const maxColumns = intFlag(flags, "max-columns");
        const maxTables = intFlag(flags, "max-tables");
        if (maxColumns !== undefined) Object.assign(settings, { maxColumns });
        if (maxTables !== undefined) Object.assign(settings, { maxTables });
        const created = await control.createApp(need(rest[0], "the app name"), settings);
        print(created, () =>
          [
            `created app ${created.app.name} (${created.app.settings.dialect}, up to ${created.app.settings.maxColumns} columns per table)`,
            `topics: ${created.topicsCreated.join(", ") || "already present"}`,
            `write key (shown once, store it now): ${created.writeKey}`,
          ].join("\n"),
        );
        return 0;
      }
      case "apps list": {
        const apps = await control.listApps();
        print(apps, () => (apps.length === 0 ? "no apps" : apps.map((a) => `${a.name.padEnd(24)} ${a.settings.dialect.padEnd(9)} ${a.disabled ? "disabled" : "enabled"}`).join("\n")));
        return 0;
      }
      case "apps describe": {
        const d = await control.describeApp(need(rest[0], "the app name"));
        print(d, () =>
          [
            `app ${d.name} (${d.settings.dialect}, ${d.disabled ? "disabled" : "enabled"}), created ${d.createdAt.toISOString()}, key rotated ${d.keyRotatedAt.toISOString()}`,
            `browser origins: ${d.allowedOrigins.length === 0 ? "none" : d.allowedOrigins.join(" ")}`,
            "topics:",
            ...d.topics.map((t) => `  ${t.name.padEnd(32)} ${String(t.partitions).padStart(3)} partitions  ${String(t.messages).padStart(10)} messages${t.ratePerSecond === undefined ? "" : `  ${t.ratePerSecond}/s`}  retention ${Math.round((t.retentionMs ?? 0) / 3_600_000)} h`),
            "consumers:",
            ...d.consumers.map((c) => `  ${c.group.padEnd(24)} on ${c.topic}: lag ${c.lag}, ${c.members} members`),
            `tables (${d.tables.length}, up to ${d.settings.maxTables}, up to ${d.settings.maxColumns} columns each):`,
            ...d.tables.map((t) => `  ${t.name.padEnd(40)} v${t.version}  ${t.columns} columns`),
            ...recoveryLines(d.recovery, config.BATCHER_SCHEMA),
          ].join("\n"),
        );
        return 0;
      }
      case "apps rotate-key": {
        const rotated = await control.rotateKey(need(rest[0], "the app name"), intFlag(flags, "grace-seconds"));
        print(rotated, () => `new write key (shown once, store it now): ${rotated.writeKey}`);
        return 0;
      }
      case "apps disable":
      case "apps enable": {
        const name = need(rest[0], "the app name");
        const app = command === "disable" ? await control.disableApp(name) : await control.enableApp(name);
        print(app, () => `app ${app.name} is ${app.disabled ? "disabled" : "enabled"}`);
        return 0;
      }
      case "apps origins": {
        const name = need(rest[0], "the app name");
        const origins = rest.slice(1);
        const app =
          origins.length > 0 || flags.has("clear") ? await control.setAllowedOrigins(name, origins) : await control.app(name);
        print({ name: app.name, allowedOrigins: app.allowedOrigins }, () =>
          app.allowedOrigins.length === 0 ? `app ${app.name} accepts no browser origin` : `app ${app.name} accepts events from pages of: ${app.allowedOrigins.join(" ")}`,
        );
        return 0;
      }
      case "apps set": {
        const changes: Partial<AppSettings> = {};
        const maxColumns = intFlag(flags, "max-columns");
        const maxTables = intFlag(flags, "max-tables");
        if (maxColumns !== undefined) Object.assign(changes, { maxColumns });
        if (maxTables !== undefined) Object.assign(changes, { maxTables });
        if (flags.has("dialect")) Object.assign(changes, { dialect: flags.get("dialect") });
        if (Object.keys(changes).length === 0) throw franzError("FRANZ_BAD_REQUEST", "apps set takes --max-columns N or --max-tables N");
        const app = await control.updateSettings(need(rest[0], "the app name"), changes);
        print(app, () =>
          [
            `app ${app.name}: up to ${app.settings.maxTables} tables, up to ${app.settings.maxColumns} columns per table`,
            "the table cap applies at once, the column cap within 10 s on every sqlizer",
          ].join("\n"),
        );
        return 0;
      }
      case "dlq list": {
        const name = need(rest[0], "the app name");
        const limit = intFlag(flags, "limit") ?? 20;
        const listing = await control.listDeadLetters(name, letterFilter({ words, flags }, rest.slice(1), new Date()), limit);
        print(listing, () =>
          [
            `${listing.topic}: ${listing.total} dead letters (${formatCounts(listing.byReason)}); ${listing.matching} picked, the latest ${listing.letters.length} shown`,
            ...listing.letters.map(formatLetter),
          ].join("\n"),
        );
        return 0;
      }
      case "dlq redrive": {
        const name = need(rest[0], "the app name");
        const dryRun = flags.has("dry-run");
        const limit = intFlag(flags, "limit") ?? 20;
        const report = await control.redriveDeadLetters(name, letterFilter({ words, flags }, rest.slice(1), new Date()), { dryRun, limit });
        print(report, () =>
          [
            dryRun
              ? `would send ${report.picked} events from ${report.from} back to ${report.to} (${formatCounts(report.byReason)}); nothing was written`
              : `sent ${report.redriven} events from ${report.from} back to ${report.to} (${formatCounts(report.byReason)})`,
            ...(dryRun ? report.letters.map(formatLetter) : []),
            ...(dryRun && report.picked > report.letters.length ? [`… and ${report.picked - report.letters.length} more`] : []),
            ...report.skipped.map((k) => `skipped ${k.id ?? "(no id)"} (${k.reason}, dlq ${k.partition}/${k.offset}): ${k.why}`),
          ].join("\n"),
        );
        return 0;
      }
      case "replay": {
        const name = need(command, "the app name");
        if (rest.length > 0) throw franzError("FRANZ_BAD_REQUEST", `unexpected ${rest.join(" ")}; see --help`);
        await control.app(name);
        const report = await replay(runtime, config, name, flags);
        print(report, () => replayText(report));
        // The count says what was missing; the exit code tells a script.
        return report.missingFiles.length > 0 || report.failedFiles.length > 0 ? 1 : 0;
      }
      case "apps repair-topics": {
        const repair = await control.repairTopics(need(rest[0], "the app name"));
        print(repair, () =>
          [
            repair.topicsCreated.length === 0 ? "every topic is present" : `created ${repair.topicsCreated.join(", ")}`,
            ...(repair.topicsResized.length === 0 ? [] : [`raised max.message.bytes of ${repair.topicsResized.join(", ")}`]),
          ].join("\n"),
        );
        return 0;
      }
      case "tables lineage": {
        const lineage = await control.lineage(need(rest[0], "the app name"), need(rest[1], "the table name"));
        print(lineage, () =>
          [`${lineage.table.app}.${lineage.table.name} (subject ${lineage.table.subject})`, ...lineage.versions.map((v) => `  v${v.version} by ${v.createdBy} at ${v.createdAt.toISOString()}: ${v.changes.join("; ")}`)].join("\n"),
        );
        return 0;
      }
      case "topics rebalance": {
        const dryRun = flags.has("dry-run");
        const windowSeconds = intFlag(flags, "window-seconds") ?? 10;
        const autoscaler = createAutoscaler({
          admin: runtime.admin,
          policy: { maxRatePerPartition: config.FRANZ_MAX_RATE_PER_PARTITION, maxPartitions: config.FRANZ_MAX_PARTITIONS, targetUtilisation: config.FRANZ_TARGET_UTILISATION },
          topics: new RegExp(`${topicPattern("raw", config.TOPIC_PREFIX).source}|${topicPattern("sql", config.TOPIC_PREFIX).source}`),
          dryRun,
          log: createLogger("franz", "silent"),
          metrics: createMetricsRegistry("franz", { processMetrics: false }),
        });
        await autoscaler.tick();
        await new Promise((resolve) => setTimeout(resolve, windowSeconds * 1000));
        const decisions = await autoscaler.tick();
        print({ dryRun, windowSeconds, decisions }, () =>
          decisions.length === 0
            ? "no topics to measure"
            : decisions.map((d) => `${d.topic.padEnd(32)} ${d.action === "grow" ? `${dryRun ? "would grow" : "grew"} ${d.partitions} → ${d.to}` : `keeps ${d.partitions}`}  (${d.reason})`).join("\n"),
        );
        return 0;
      }
      default:
        throw franzError("FRANZ_BAD_REQUEST", `unknown command "${key}"; see --help`);
    }
  } finally {
    await runtime.close();
  }
}

/** Runs `replay` with the options given: from the bucket (S3_*) and the ledger, to raw.<app>, progress on stderr. */
async function replay(runtime: FranzRuntime, config: FranzConfig, app: string, flags: Parsed["flags"]): Promise<ReplayReport> {
  const window = replayWindow(textFlag(flags, "from"), textFlag(flags, "to"), new Date());
  const rate = intFlag(flags, "rate") ?? DEFAULT_REPLAY_RATE;
  if (rate === 0) throw franzError("FRANZ_BAD_REQUEST", "--rate takes a number of events per second above 0");
  const s3 = s3Client(s3Settings(config));
  const shown = stderrProgress(process.stderr);
  try {
    return await replayArchive(
      {
        pool: runtime.pool,
        ledgerSchema: config.BATCHER_SCHEMA,
        store: s3ObjectStore(s3, config.S3_BUCKET),
        kafka: runtime.kafka,
        topicPrefix: config.TOPIC_PREFIX,
        eventMaxBytes: config.EVENT_MAX_BYTES,
        limits: eventLimits(config),
        onProgress: shown.update,
        onWarning: shown.warn,
      },
      app,
      { window, filter: { entype: textFlag(flags, "entype"), evname: textFlag(flags, "evname") }, dryRun: flags.has("dry-run"), rate },
    );
  } finally {
    shown.done();
    s3.destroy();
  }
}

/** The describe lines of what waits for an operator (dead letters, set-aside rows, parked files), and the raw archive. */
function recoveryLines(recovery: AppDescription["recovery"], ledgerSchema: string): string[] {
  if (recovery === undefined) return [];
  const { deadLetters, ledger } = recovery;
  return [
    `dead letters (${deadLetters.total}): ${formatCounts(deadLetters.byReason)}`,
    ...(ledger === null
      ? [`no batcher ledger in schema ${ledgerSchema} (BATCHER_SCHEMA): set-aside rows, parked files and the raw archive unknown`]
      : [
          `rows set aside by the loader (${ledger.setAside.rows}): ${formatCounts(ledger.setAside.byReason)}`,
          `parked files (${ledger.parked.files}, ${ledger.parked.rows} rows): ${formatCounts(ledger.parked.byReason)}`,
          archiveSummaryLine(ledger.archive),
        ]),
  ];
}

/**
 * The describe line of the app's raw archive.
 *
 * @example
 * archiveSummaryLine({ files: 12, events: 48000, newestReceivedAt: new Date("2024-05-01T12:00:00Z") });
 * // "raw archive: 12 files, 48000 events, the newest received 2024-05-01T12:00:00.000Z"
 */
export function archiveSummaryLine(archive: LedgerSummary["archive"]): string {
  if (archive === null) return "raw archive: none in this ledger (the batcher predates it)";
  if (archive.newestReceivedAt === null) return "raw archive: no archive yet";
  return `raw archive: ${archive.files} files, ${archive.events} events, the newest received ${archive.newestReceivedAt.toISOString()}`;
}

// Run only as a program, so the parser can be tested on its own.
if (import.meta.url === `file://${process.argv[1]}`) run(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    const coded = toFranzError(error);
    const message = coded.code === "FRANZ_INTERNAL" && error instanceof Error ? error.message : coded.message;
    console.error(`franz: ${coded.code}: ${message}`);
    process.exit(coded.status >= 500 ? 1 : 2);
  },
);
