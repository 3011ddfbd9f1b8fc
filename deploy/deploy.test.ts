/**
 * The deployment files cannot run here (no Docker, no cluster); this checks what can be checked:
 * they parse, each service is given only variables its configuration reads and every one it
 * requires, each command names an entry point the build makes (from a source that exists), the
 * dashboard and the alert rules query only metrics the services export in PromQL that parses, and
 * each alert's runbook names operator commands that exist.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parser as promql } from "@prometheus-io/lezer-promql";
import { parseAllDocuments, parse as parseYaml } from "yaml";
import type { z } from "zod";
import { createMetricsRegistry } from "@schematizer/observability";
import { SERVICE_NODE_FLAGS, serviceEntries } from "@schematizer/stack/bundles";
import { batcherConfigSchema } from "../apps/batcher/src/config.ts";
import { BATCHER_USAGE } from "../apps/batcher/src/operations/operator-commands.ts";
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
      for (const m of readFileSync(path.join(dir, file), "utf8").matchAll(/name: "((?:sink|sqlizer|batcher|franz)_[a-z_]+)"/g)) exported.add(m[1]!);
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
  panels: { title: string; description?: string; targets: { expr: string }[] }[];
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
