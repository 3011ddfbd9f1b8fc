// `npm test`: lint, typecheck and the services' bundles; the unit tests while the stack starts, then
// the integration tests against the real Kafka, Postgres and S3 server (which start the services
// from their bundles, as the image runs them). Where the machine's Node is not the image's major
// (22), both suites run again on Node 22, fetched from the npm registry into the stack's cache
// meanwhile. Stops whatever it started. The last line counts the tests of every run.
import { mkdirSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { buildServices, createStack, imageNode, readStackEnv, runsOnImageNode } from "@schematizer/stack";
import { ensureChromium } from "./ensure-chromium.ts";
import { runStep } from "./run-step.ts";

interface Counts {
  passed: number;
  failed: number;
  skipped: number;
}

/** A Node the suites run on: the machine's, and the image's where it is another one. */
interface Runtime {
  name: string;
  /** Suffix of its report files (`unit<suffix>.json`). */
  suffix: string;
  node: Promise<string>;
}

const env = readStackEnv();
const reports = path.join(env.STACK_DIR, "reports");
mkdirSync(reports, { recursive: true });
const stack = createStack(env);
const results: { step: string; ok: boolean }[] = [];
const t0 = performance.now();

const stackUp = stack.up((line) => console.log(`[stack] ${line}`)).then(
  (started) => ({ started, error: undefined }),
  (error: unknown) => ({ started: [] as string[], error }),
);

// The browser test's Chromium installs (where it can) while the first steps run, and so does Node 22.
const chromiumReady = ensureChromium(path.join(env.STACK_DIR, "logs"));
const runtimes: Runtime[] = [{ name: `node ${process.versions.node}`, suffix: "", node: Promise.resolve(process.execPath) }];
if (!runsOnImageNode()) runtimes.push({ name: `node ${env.STACK_NODE_VERSION}`, suffix: "-node22", node: imageNode(env, (line) => console.log(`[node] ${line}`)) });
for (const runtime of runtimes) runtime.node.catch(() => undefined);

const vitestBin = path.join(path.dirname(createRequire(import.meta.url).resolve("vitest/package.json")), "vitest.mjs");
/** vitest on the runtime's Node, with that Node first on PATH so whatever the tests spawn (npx, tsx) runs on it too. */
const vitest = (project: string, runtime: Runtime, node: string) => {
  const report = path.join(reports, `${project}${runtime.suffix}.json`);
  // A run that dies before writing its report counts nothing, rather than the last run's figures.
  rmSync(report, { force: true });
  return runStep(node, [vitestBin, "run", "--project", project, "--reporter=default", "--reporter=json", `--outputFile.json=${report}`], {
    ...process.env,
    PATH: `${path.dirname(node)}${path.delimiter}${process.env.PATH ?? ""}`,
  });
};

for (const [step, command, args] of [
  ["lint", "npx", ["eslint", "--max-warnings", "0", "."]],
  ["typecheck", "npx", ["tsc", "-p", "tsconfig.json", "--noEmit"]],
] as const) {
  console.log(`\n=== ${step}`);
  results.push({ step, ok: (await runStep(command, [...args])) === 0 });
}
console.log("\n=== build");
results.push({
  step: "build",
  ok: await buildServices().then(
    ({ written, ms }) => (console.log(`[build] ${written.length} files written in ${ms} ms`), true),
    (error: unknown) => (console.error(`[build] ${error instanceof Error ? error.message : String(error)}`), false),
  ),
});

const { started, error } = await stackUp;
let chromiumSaid = false;
for (const runtime of runtimes) {
  const label = (project: string) => (runtime.suffix === "" ? project : `${project} (${runtime.name})`);
  const node = await runtime.node.catch((failure: unknown) => {
    console.error(`[node] could not fetch ${runtime.name}: ${failure instanceof Error ? failure.message : String(failure)}`);
    results.push({ step: label("unit"), ok: false }, { step: label("integration"), ok: false });
    return undefined;
  });
  if (node === undefined) continue;
  console.log(`\n=== ${label("unit")}`);
  const unitCode = await vitest("unit", runtime, node);
  results.push({ step: label("unit"), ok: unitCode === 0 && readCounts(`unit${runtime.suffix}`).failed === 0 });

  console.log(`\n=== ${label("integration")}`);
  if (!chromiumSaid) console.log(`[test] ${await chromiumReady}`);
  chromiumSaid = true;
  if (error) {
    console.error(`[stack] could not start: ${error instanceof Error ? error.message : String(error)}`);
    results.push({ step: label("integration"), ok: false });
    continue;
  }
  for (const s of await stack.status()) console.log(`[stack] ${s.name} at ${s.endpoint}${s.external ? " (external)" : ""}`);
  const code = await vitest("integration", runtime, node);
  // The report as well as the exit code: a dependency's exit hook once turned a failed run into exit 0.
  results.push({ step: label("integration"), ok: code === 0 && readCounts(`integration${runtime.suffix}`).failed === 0 });
}
if (started.length > 0) {
  console.log(`[stack] stopped ${(await stack.down(started)).join(", ")} (started by this run)`);
}

const add = (a: Counts, b: Counts): Counts => ({ passed: a.passed + b.passed, failed: a.failed + b.failed, skipped: a.skipped + b.skipped });
const none: Counts = { passed: 0, failed: 0, skipped: 0 };
const perRuntime = runtimes.map((r) => ({ name: r.name, counts: ["unit", "integration"].map((p) => readCounts(`${p}${r.suffix}`)).reduce(add, none) }));
const counts = perRuntime.map((r) => r.counts).reduce(add, none);
console.log(`\n${results.map((r) => `${r.step} ${r.ok ? "ok" : "FAILED"}`).join(", ")} in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
console.log(perRuntime.map(({ name, counts: c }) => `${name}: ${c.passed} passed, ${c.failed} failed, ${c.skipped} skipped`).join("; "));
console.log(`${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`);
process.exit(results.every((r) => r.ok) ? 0 : 1);

function readCounts(report: string): Counts {
  try {
    const json = JSON.parse(readFileSync(path.join(reports, `${report}.json`), "utf8")) as {
      numPassedTests: number;
      numFailedTests: number;
      numPendingTests: number;
      numTodoTests: number;
    };
    return { passed: json.numPassedTests, failed: json.numFailedTests, skipped: json.numPendingTests + json.numTodoTests };
  } catch {
    return { passed: 0, failed: 0, skipped: 0 };
  }
}
