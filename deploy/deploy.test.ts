/**
 * The deployment files cannot run here (no Docker, no cluster); this checks what can be checked:
 * they parse, each service is given only variables its configuration reads and every one it
 * requires, each command names an entry point the build makes (from a source that exists), the
 * dashboard and the alert rules query only metrics the services export in PromQL that parses,
 * each alert's runbook names operator commands that exist, and the bucket's lifecycle keeps what
 * the pipeline and its operators still need.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parser as promql } from "@prometheus-io/lezer-promql";
import { parseAllDocuments, parse as parseYaml } from "yaml";
import type { z } from "zod";
import { archiveKey } from "@schematizer/contracts";
import { createMetricsRegistry } from "@schematizer/observability";
import { SERVICE_NODE_FLAGS, serviceEntries } from "@schematizer/stack/bundles";
import { batcherConfigSchema } from "../apps/batcher/src/config.ts";
import { BATCHER_USAGE } from "../apps/batcher/src/operations/operator-commands.ts";
import { fileKeys, rejectsKey, reloadKeys } from "../apps/batcher/src/staging/file-keys.ts";
import { sinkConfigSchema } from "../apps/event-sink/src/config.ts";
import { USAGE as FRANZ_USAGE } from "../apps/franz/src/cli.ts";
import { franzConfigSchema } from "../apps/franz/src/config.ts";
import { sqlizerConfigSchema } from "../apps/sqlizer/src/config.ts";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const read = (file: string) => readFileSync(path.join(root, file), "utf8");

const SCHEMAS: Record<string, z.ZodObject> = {
  "apps/event-sink/dist/main.js": sinkConfigSchema,
  "apps/sqlizer/dist/main.js": sqlizerConfigSchema,
  "apps/batcher/dist/main.js": batcherConfigSchema,
  "apps/franz/dist/main.js": franzConfigSchema,
  "apps/franz/dist/cli.js": franzConfigSchema,
};

/** The bundle `npm run build` makes at this path, if it makes one. */
const built = (entry: string) => serviceEntries(root).find((e) => e.output === entry);

function checkEnv(entry: string, names: string[], where: string, { requireAll = true } = {}) {
  const schema = SCHEMAS[entry];
  expect(schema, `${where}: ${entry} is not a service entry point`).toBeDefined();
  expect(existsSync(path.join(root, built(entry)?.source ?? entry)), `${where}: ${entry} is not built from a source that exists`).toBe(true);
  const known = Object.keys(schema!.shape);
  const unknown = names.filter((n) => !known.includes(n));
  expect(unknown, `${where}: variables ${entry} does not read`).toEqual([]);
  if (!requireAll) return;
  const required = known.filter((k) => !schema!.shape[k]!.safeParse(undefined).success);
  expect(required.filter((r) => !names.includes(r)), `${where}: required variables missing`).toEqual([]);
}

describe("docker-compose.yml", () => {
  const compose = parseYaml(read("docker-compose.yml"), { merge: true }) as {
    services: Record<string, { command?: string[]; entrypoint?: string[]; environment?: Record<string, string>; image?: string }>;
  };

  it("runs each service's entry point with variables its configuration reads", () => {
    const ours = Object.entries(compose.services).filter(([, s]) => s.image === "schematizer:local");
    expect(ours.map(([name]) => name).sort()).toEqual(["batcher", "event-sink", "franz", "franz-cli", "sqlizer"]);
    for (const [name, service] of ours) {
      const entry = service.entrypoint?.at(-1)?.endsWith(".js") ? service.entrypoint.at(-1)! : service.command![0]!;
      checkEnv(entry, Object.keys(service.environment ?? {}), `compose ${name}`, { requireAll: name !== "franz-cli" });
    }
  });

  it("gives the local stack's ports and credentials to the servers", () => {
    expect(compose.services.kafka!.environment!.KAFKA_ADVERTISED_LISTENERS).toMatch(/127\.0\.0\.1:9092/);
    expect((compose.services.postgres as { ports: string[] }).ports).toEqual(["54329:5432"]);
  });
});

describe("Kubernetes manifests", () => {
  const dir = path.join(root, "deploy/kubernetes");
  const docs = readdirSync(dir)
    .filter((f) => f.endsWith(".yaml"))
    .flatMap((f) => parseAllDocuments(readFileSync(path.join(dir, f), "utf8")).map((d) => ({ file: f, doc: d })));

  it("parse without errors", () => {
    for (const { file, doc } of docs) expect(doc.errors, file).toEqual([]);
  });

  const objects = docs.map(({ file, doc }) => ({ file, obj: doc.toJS() as { kind: string; metadata: { name: string }; data?: Record<string, string>; stringData?: Record<string, string>; spec?: unknown } }));
  const configMap = objects.find((o) => o.obj.kind === "ConfigMap")!.obj.data!;
  const secret = objects.find((o) => o.obj.kind === "Secret")!.obj.stringData!;

  it("run each Deployment's entry point with variables its configuration reads, from values that exist", () => {
    const deployments = objects.filter((o) => o.obj.kind === "Deployment");
    expect(deployments.map((d) => d.obj.metadata.name).sort()).toEqual(["batcher", "event-sink", "franz", "sqlizer"]);
    for (const { file, obj } of deployments) {
      type Container = { args: string[]; env: { name: string; valueFrom?: { secretKeyRef: { key: string } } }[]; ports: { containerPort: number }[] };
      const container = (obj.spec as { template: { spec: { containers: Container[] } } }).template.spec.containers[0]!;
      for (const e of container.env) if (e.valueFrom) expect(Object.keys(secret), `${file}: secret key ${e.valueFrom.secretKeyRef.key}`).toContain(e.valueFrom.secretKeyRef.key);
      checkEnv(container.args[0]!, [...Object.keys(configMap), ...container.env.map((e) => e.name)], file);
      const portVar = container.env.find((e) => e.name.endsWith("_PORT")) as { value?: string } | undefined;
      expect(Number(portVar?.value), `${file}: the port it listens on is the one it exposes`).toBe(container.ports[0]!.containerPort);
    }
  });
});

/**
 * Every metric a service exports: those its sources declare, the process metrics every service's
 * registry collects (libs/observability), and `up`, which Prometheus records for each target.
 */
async function exportedMetrics(): Promise<Set<string>> {
  const exported = new Set(["up"]);
  for (const app of ["event-sink", "sqlizer", "batcher", "franz"]) {
    const dir = path.join(root, "apps", app, "src");
    // Recursive: an app's sources may sit in folders of their own (apps/batcher/src/operations/).
    for (const file of readdirSync(dir, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".ts") && !f.includes(".test."))) {
      for (const m of readFileSync(path.join(dir, file), "utf8").matchAll(/name: "((?:sink|sqlizer|batcher|archiver|franz)_[a-z_]+)"/g)) exported.add(m[1]!);
    }
  }
  for (const metric of await createMetricsRegistry("probe").getMetricsAsJSON()) exported.add(metric.name);
  return exported;
}

/** Parses a PromQL expression: where it fails to parse, and the metric of each selector. */
function readPromql(expr: string): { errorsAt: number[]; metrics: string[] } {
  const errorsAt: number[] = [];
  const metrics: string[] = [];
  promql.parse(expr).iterate({
    enter(node) {
      if (node.type.isError) errorsAt.push(node.from);
      if (node.name === "Identifier" && node.node.parent?.name === "VectorSelector") metrics.push(expr.slice(node.from, node.to));
    },
  });
  return { errorsAt, metrics };
}

/** Checks that `expr` parses and selects only exported metrics (a histogram by its series). */
function checkPromql(expr: string, exported: Set<string>, where: string) {
  const { errorsAt, metrics } = readPromql(expr);
  expect(errorsAt, `${where}: PromQL does not parse at these offsets: ${expr}`).toEqual([]);
  expect(metrics.length, `${where}: selects no metric`).toBeGreaterThan(0);
  for (const metric of metrics) expect(exported, `${where}: ${metric}`).toContain(metric.replace(/_(bucket|sum|count)$/, ""));
}

interface Dashboard {
  panels: { id: number; title: string; description?: string; gridPos: { x: number; y: number; w: number; h: number }; targets: { expr: string }[] }[];
}
const dashboard = JSON.parse(read("deploy/grafana/schematizer.json")) as Dashboard;

describe("PromQL checks", () => {
  it("find what does not parse and the metrics selected", () => {
    expect(readPromql('sum by (app) (rate(batcher_rows_loaded_total{app="acme"}[5m])) > bool up')).toEqual({ errorsAt: [], metrics: ["batcher_rows_loaded_total", "up"] });
    expect(readPromql("sum by (app (rate(batcher_rows_loaded_total[5m]))").errorsAt).not.toEqual([]);
    expect(readPromql("rate(batcher_rows_loaded_total[5m]) >").errorsAt).not.toEqual([]);
    expect(readPromql("no_such_function(batcher_rows_loaded_total)").errorsAt).not.toEqual([]);
  });
});

describe("Grafana dashboard", () => {
  it("queries only metrics the services export, in PromQL that parses", async () => {
    const exported = await exportedMetrics();
    expect(dashboard.panels.length).toBeGreaterThan(10);
    for (const panel of dashboard.panels) {
      for (const { expr } of panel.targets) checkPromql(expr, exported, panel.title);
    }
  });

  it("gives each panel an id of its own and a place no other panel covers", () => {
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size, "panel ids are unique").toBe(ids.length);
    const taken = new Map<string, string>();
    for (const { title, gridPos: g } of dashboard.panels) {
      expect(g.x + g.w, `${title}: wider than the dashboard's 24 columns`).toBeLessThanOrEqual(24);
      for (let x = g.x; x < g.x + g.w; x++) {
        for (let y = g.y; y < g.y + g.h; y++) {
          expect(taken.get(`${x},${y}`), `${title} overlaps ${taken.get(`${x},${y}`)}`).toBeUndefined();
          taken.set(`${x},${y}`, title);
        }
      }
    }
  });
});

interface AlertRule {
  alert: string;
  expr: string;
  for: string;
  labels: { severity: string };
  annotations: { summary: string; description: string; runbook: string };
}
interface RuleGroups {
  groups: { name: string; rules: AlertRule[] }[];
}

/** What `npm run <cli> -- --help` prints, by CLI. */
const CLI_USAGE: Record<string, string> = { franz: FRANZ_USAGE, batcher: BATCHER_USAGE };

/**
 * The commands of a CLI's usage text: an entry is a line indented by two spaces (with the
 * deeper-indented lines under it), its command the words before its first argument or option.
 */
function usageCommands(usage: string): { words: string; entry: string }[] {
  const entries: string[] = [];
  for (const line of usage.split("\n")) {
    if (/^ {2}\S/.test(line)) entries.push(line.trim());
    else if (/^ {3,}\S/.test(line) && entries.length > 0) entries[entries.length - 1] += ` ${line.trim()}`;
  }
  return entries.map((entry) => {
    const tokens = entry.split(/\s+/);
    const firstArg = tokens.findIndex((t) => !/^[a-z][a-z-]*$/.test(t));
    return { words: (firstArg === -1 ? tokens : tokens.slice(0, firstArg)).join(" "), entry };
  });
}

/**
 * Checks one runbook command: `npm run <cli> -- <command> [<arg>…] [--flag…]` must start with a
 * command of that CLI's usage, and give only flags the usage gives that command. Template values
 * ({{ $labels.app }}) and placeholders (<n>) stand for arguments.
 */
function checkCommand(command: string, where: string) {
  const m = /^npm run (\S+) -- (.+)$/.exec(command);
  expect(m, `${where}: \`${command}\` is not npm run <cli> -- <command>`).not.toBeNull();
  const [, cli, rest] = m as unknown as [string, string, string];
  expect(CLI_USAGE[cli], `${where}: no CLI ${cli}`).toBeDefined();
  const tokens = rest.replace(/\{\{[^}]*\}\}/g, "<value>").split(/\s+/);
  const commands = usageCommands(CLI_USAGE[cli]!).filter((c) => `${tokens.join(" ")} `.startsWith(`${c.words} `));
  const longest = Math.max(0, ...commands.map((c) => c.words.length));
  const entries = commands.filter((c) => c.words.length === longest).map((c) => c.entry);
  expect(entries, `${where}: ${cli} has no command "${rest}"`).not.toEqual([]);
  for (const flag of tokens.filter((t) => t.startsWith("--"))) {
    expect(entries.some((e) => e.split(/[\s[\]|]+/).includes(flag)), `${where}: "${rest}" takes no ${flag}`).toBe(true);
  }
}

describe("alert rules", () => {
  const text = read("deploy/prometheus/alerts.yaml");
  const rules = parseYaml(text) as RuleGroups;
  const operatorRule = parseAllDocuments(read("deploy/kubernetes/alerts.yaml")).map((d) => d.toJS() as { kind: string; apiVersion: string; spec: RuleGroups });
  const alerts = rules.groups.flatMap((g) => g.rules);

  it("parse, and the cluster's PrometheusRule holds the same groups", () => {
    expect(parseAllDocuments(text).map((d) => d.errors)).toEqual([[]]);
    expect(operatorRule.map((o) => [o.apiVersion, o.kind])).toEqual([["monitoring.coreos.com/v1", "PrometheusRule"]]);
    expect(operatorRule[0]!.spec).toEqual(rules);
    expect(alerts.length).toBeGreaterThanOrEqual(10);
    expect(new Set(alerts.map((a) => a.alert)).size, "alert names are unique").toBe(alerts.length);
  });

  it("query only metrics the services export, in PromQL that parses", async () => {
    const exported = await exportedMetrics();
    for (const rule of alerts) checkPromql(rule.expr, exported, rule.alert);
  });

  it("each wait, carry a severity, and say what happened and what to do", () => {
    for (const rule of alerts) {
      expect(rule.for, rule.alert).toMatch(/^\d+[smh]$/);
      expect(["critical", "warning"], rule.alert).toContain(rule.labels.severity);
      for (const key of ["summary", "description", "runbook"] as const) expect(rule.annotations[key], `${rule.alert}: ${key}`).toMatch(/\S/);
    }
  });

  it("name in their runbook the commands that fix it, each one the CLI has", () => {
    for (const rule of alerts) {
      const commands = [...rule.annotations.runbook.matchAll(/`([^`]+)`/g)].map((c) => c[1]!);
      expect(commands.filter((c) => /^(npm run|kubectl) /.test(c)), `${rule.alert}: runbook names no command`).not.toEqual([]);
      for (const command of commands.filter((c) => c.startsWith("npm run "))) checkCommand(command, rule.alert);
    }
  });

  it("each have a dashboard panel and a row in deploy/README.md", () => {
    const readme = read("deploy/README.md");
    for (const { alert } of alerts) {
      expect(dashboard.panels.filter((p) => p.description?.includes(alert)).length, `${alert}: no panel names it`).toBeGreaterThan(0);
      expect(readme, `${alert}: not in deploy/README.md`).toContain(`\`${alert}\``);
    }
  });

  it("runbook commands are checked against the CLIs' usage", () => {
    expect(() => checkCommand("npm run batcher -- retry --all --app {{ $labels.app }}", "ok")).not.toThrow();
    expect(() => checkCommand("npm run franz -- apps describe acme", "ok")).not.toThrow();
    expect(() => checkCommand("npm run batcher -- retry --every", "bad flag")).toThrow(/takes no --every/);
    expect(() => checkCommand("npm run batcher -- parked --ap acme", "a flag's prefix")).toThrow(/takes no --ap/);
    expect(() => checkCommand("npm run franz -- apps explode acme", "bad command")).toThrow(/no command "apps explode acme"/);
  });
});

/** An S3 lifecycle configuration (put-bucket-lifecycle-configuration), in the parts checked here. */
interface Lifecycle {
  Rules: {
    ID?: string;
    Status: string;
    Filter?: { Prefix?: string; And?: { Prefix?: string }; Tag?: unknown; ObjectSizeGreaterThan?: number; ObjectSizeLessThan?: number };
    Prefix?: string;
    Transitions?: { Days?: number; Date?: string; StorageClass: string }[];
    Expiration?: { Days?: number; Date?: string; ExpiredObjectDeleteMarker?: boolean };
    NoncurrentVersionTransitions?: unknown[];
    NoncurrentVersionExpiration?: unknown;
    AbortIncompleteMultipartUpload?: { DaysAfterInitiation: number };
  }[];
}

const DAY_MS = 86_400_000;
/** Storage classes S3 serves a GET from at once; the others need a restore first, which `replay` does not make. */
const READABLE_AT_ONCE = ["STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING", "GLACIER_IR"];

/**
 * What is wrong with a lifecycle for this pipeline's bucket: what S3 would refuse, and any rule
 * that would delete an archive file (raw/) before the raw topic's retention ends or a batch file
 * (loads/, rejects/) within 30 days, move the archive to a class `replay` cannot read at once, or
 * leave a key without an abort of incomplete multipart uploads. Sample keys come from the
 * functions that name the files, so a change of layout shows here.
 */
function lifecycleProblems(config: Lifecycle, rawRetentionDays: number): string[] {
  const problems: string[] = [];
  const ids = config.Rules.map((r) => r.ID);
  if (new Set(ids).size !== ids.length) problems.push("rule IDs are not unique");
  for (const rule of config.Rules) {
    const where = `rule ${rule.ID ?? "(no ID)"}`;
    if (!rule.ID) problems.push(`${where}: no ID`);
    if (!["Enabled", "Disabled"].includes(rule.Status)) problems.push(`${where}: Status ${rule.Status}`);
    if ((rule.Filter === undefined) === (rule.Prefix === undefined)) problems.push(`${where}: needs one of Filter and Prefix`);
    const actions = [rule.Transitions, rule.Expiration, rule.NoncurrentVersionTransitions, rule.NoncurrentVersionExpiration, rule.AbortIncompleteMultipartUpload];
    if (actions.every((a) => a === undefined)) problems.push(`${where}: no action`);
    for (const t of rule.Transitions ?? []) {
      if (t.StorageClass.endsWith("_IA") && (t.Days ?? 0) < 30) problems.push(`${where}: S3 moves objects to ${t.StorageClass} after 30 days at the earliest`);
    }
    const lastTransition = Math.max(0, ...(rule.Transitions ?? []).map((t) => t.Days ?? 0));
    if (rule.Expiration?.Days !== undefined && rule.Expiration.Days <= lastTransition) problems.push(`${where}: expires objects before their last transition`);
  }
  const applying = (key: string) =>
    config.Rules.filter((r) => r.Status === "Enabled" && key.startsWith(r.Filter?.Prefix ?? r.Filter?.And?.Prefix ?? r.Prefix ?? ""));
  /** Days after which some rule deletes the key (a date: any day; Infinity: never). */
  const expiresAfter = (key: string) =>
    Math.min(Infinity, ...applying(key).map((r) => (r.Expiration === undefined || (r.Expiration.Days === undefined && r.Expiration.Date === undefined) ? Infinity : (r.Expiration.Days ?? 0))));

  const archived = archiveKey({ app: "acme", hourMs: Date.parse("2026-12-01T21:00:00Z"), topic: "raw.acme", partition: 0, first: "0", last: "9" });
  const batch = { app: "acme", table: "_e_user__login", version: 3 };
  const keep30 = [
    ...Object.values(fileKeys({ ...batch, topic: "sql.acme", partition: 0, first: "0", last: "9" })),
    ...Object.values(reloadKeys({ ...batch, firstId: "1", lastId: "2" })),
    rejectsKey("acme", "sql.acme", 0, "0", "9"),
  ];
  if (!applying(archived).some((r) => r.Transitions !== undefined || r.Expiration !== undefined)) problems.push(`no rule moves or expires the archive (${archived})`);
  if (expiresAfter(archived) < rawRetentionDays) problems.push(`the archive (${archived}) expires before the raw topic's retention of ${rawRetentionDays} days`);
  for (const r of applying(archived)) {
    for (const t of r.Transitions ?? []) if (!READABLE_AT_ONCE.includes(t.StorageClass)) problems.push(`rule ${r.ID}: the archive moves to ${t.StorageClass}, which replay cannot read without a restore`);
  }
  for (const key of keep30) if (expiresAfter(key) < 30) problems.push(`${key} expires within 30 days`);
  for (const key of [archived, ...keep30]) {
    if (!applying(key).some((r) => (r.AbortIncompleteMultipartUpload?.DaysAfterInitiation ?? 0) >= 1)) problems.push(`${key}: no abort of incomplete multipart uploads`);
  }
  return problems;
}

describe("S3 lifecycle", () => {
  const text = read("deploy/s3/lifecycle.json");
  const rawRetentionDays = franzConfigSchema.shape.FRANZ_RAW_RETENTION_MS.parse(undefined) / DAY_MS;

  it("parses, and keeps the archive past the raw topic's retention and batch files at least 30 days", () => {
    const config = JSON.parse(text) as Lifecycle;
    expect(Object.keys(config)).toEqual(["Rules"]);
    expect(rawRetentionDays).toBe(7);
    expect(lifecycleProblems(config, rawRetentionDays)).toEqual([]);
  });

  it("is checked for what would lose data or what S3 refuses", () => {
    const abort = { ID: "abort", Status: "Enabled", Filter: { Prefix: "" }, AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 } };
    const archive = (over: object) => ({ ID: "raw", Status: "Enabled", Filter: { Prefix: "raw/" }, Expiration: { Days: 730 }, ...over });
    expect(lifecycleProblems({ Rules: [archive({}), abort] }, 7)).toEqual([]);
    expect(lifecycleProblems({ Rules: [archive({ Expiration: { Days: 3 } }), abort] }, 7)).toEqual([expect.stringMatching(/expires before the raw topic's retention/)]);
    expect(lifecycleProblems({ Rules: [archive({ Filter: { Prefix: "" }, Expiration: { Days: 10 } }), abort] }, 7).join("\n")).toMatch(/^loads\/acme\/.*csv\.gz expires within 30 days$/m);
    expect(lifecycleProblems({ Rules: [archive({}), { ...abort, ID: "x", Expiration: { Date: "2027-01-01T00:00:00Z" } }] }, 7).join("\n")).toMatch(/rejects\/.* expires within 30 days/);
    expect(lifecycleProblems({ Rules: [archive({ Status: "Disabled" }), abort] }, 7)).toEqual([expect.stringMatching(/no rule moves or expires the archive/)]);
    expect(lifecycleProblems({ Rules: [archive({ Transitions: [{ Days: 90, StorageClass: "GLACIER" }] }), abort] }, 7)).toEqual([expect.stringMatching(/GLACIER, which replay cannot read/)]);
    expect(lifecycleProblems({ Rules: [archive({ Transitions: [{ Days: 7, StorageClass: "STANDARD_IA" }] }), abort] }, 7)).toEqual([expect.stringMatching(/after 30 days at the earliest/)]);
    expect(lifecycleProblems({ Rules: [archive({ Transitions: [{ Days: 800, StorageClass: "GLACIER_IR" }] }), abort] }, 7)).toEqual([expect.stringMatching(/before their last transition/)]);
    expect(lifecycleProblems({ Rules: [archive({}), { ...abort, Filter: { Prefix: "raw/" } }] }, 7).join("\n")).toMatch(/^loads\/.*: no abort of incomplete multipart uploads$/m);
    expect(lifecycleProblems({ Rules: [archive({}), { ...abort, ID: "raw" }] }, 7)).toEqual(["rule IDs are not unique"]);
  });
});

describe("Dockerfile", () => {
  it("installs the locked dependencies, builds the bundles, and runs them with the services' Node flags and no TypeScript loader", () => {
    const dockerfile = read("Dockerfile");
    expect(dockerfile).toMatch(/^RUN npm ci/m);
    expect(dockerfile).toMatch(/^RUN npm run build/m);
    const runStage = dockerfile.slice(dockerfile.lastIndexOf("\nFROM "));
    expect(runStage).toContain(`ENTRYPOINT ${JSON.stringify(["node", ...SERVICE_NODE_FLAGS]).replaceAll(",", ", ")}\n`);
    expect(runStage).not.toMatch(/tsx|\.ts"/);
    const cmd = /^CMD \["(.+)"\]$/m.exec(runStage)![1]!;
    expect(existsSync(path.join(root, built(cmd)?.source ?? cmd)), `${cmd} is not built from a source that exists`).toBe(true);
    for (const { output } of serviceEntries(root)) expect(runStage, `the image lacks ${output}`).toContain(`COPY --from=build /app/${path.dirname(output)} ${path.dirname(output)}`);
  });
});

describe("README", () => {
  it("documents every variable every service reads", () => {
    const readme = read("README.md");
    for (const [entry, schema] of Object.entries(SCHEMAS)) {
      const undocumented = Object.keys(schema.shape).filter((k) => !readme.includes(`\`${k}\``));
      expect(undocumented, `${entry}: variables missing from README.md`).toEqual([]);
    }
  });
});
