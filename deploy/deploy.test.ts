/**
 * The deployment files cannot run here (no Docker, no cluster); this checks what can be checked:
 * they parse, each service is given only variables its configuration reads and every one it
 * requires, each command names an entry point the build makes (from a source that exists), and
 * the dashboard queries only metrics the services export.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parseAllDocuments, parse as parseYaml } from "yaml";
import type { z } from "zod";
import { SERVICE_NODE_FLAGS, serviceEntries } from "@schematizer/stack/bundles";
import { batcherConfigSchema } from "../apps/batcher/src/config.ts";
import { sinkConfigSchema } from "../apps/event-sink/src/config.ts";
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

describe("Grafana dashboard", () => {
  it("queries only metrics the services export", () => {
    const declared = new Set<string>();
    for (const app of ["event-sink", "sqlizer", "batcher", "franz"]) {
      const dir = path.join(root, "apps", app, "src");
      // Recursive: an app's sources may sit in folders of their own (apps/batcher/src/operations/).
      for (const file of readdirSync(dir, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".ts") && !f.includes(".test."))) {
        for (const m of readFileSync(path.join(dir, file), "utf8").matchAll(/name: "((?:sink|sqlizer|batcher|franz)_[a-z_]+)"/g)) declared.add(m[1]!);
      }
    }
    const dashboard = JSON.parse(read("deploy/grafana/schematizer.json")) as { panels: { title: string; targets: { expr: string }[] }[] };
    expect(dashboard.panels.length).toBeGreaterThan(10);
    for (const panel of dashboard.panels) {
      for (const { expr } of panel.targets) {
        for (const [metric] of expr.matchAll(/\b(?:sink|sqlizer|batcher|franz)_[a-z_]+/g)) {
          expect(declared, `${panel.title}: ${metric}`).toContain(metric.replace(/_(bucket|sum|count)$/, ""));
        }
      }
    }
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
