// `npm test`: lint, typecheck and unit tests while the stack starts, then the integration tests
// against the real Kafka, Postgres and S3 server; stops whatever it started.
import { mkdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { createStack, readStackEnv } from "@schematizer/stack";
import { ensureChromium } from "./ensure-chromium.ts";
import { runStep } from "./run-step.ts";

interface Counts {
  passed: number;
  failed: number;
  skipped: number;
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

// The browser test's Chromium installs (where it can) while the first steps run.
const chromiumReady = ensureChromium(path.join(env.STACK_DIR, "logs"));

const vitest = (project: string) => [
  "vitest",
  "run",
  "--project",
  project,
  "--reporter=default",
  "--reporter=json",
  `--outputFile.json=${path.join(reports, `${project}.json`)}`,
];

for (const [step, command, args] of [
  ["lint", "npx", ["eslint", "--max-warnings", "0", "."]],
  ["typecheck", "npx", ["tsc", "-p", "tsconfig.json", "--noEmit"]],
  ["unit", "npx", vitest("unit")],
] as const) {
  console.log(`\n=== ${step}`);
  const code = await runStep(command, [...args]);
  results.push({ step, ok: code === 0 && (step !== "unit" || readCounts("unit").failed === 0) });
}

const { started, error } = await stackUp;
console.log("\n=== integration");
console.log(`[test] ${await chromiumReady}`);
if (error) {
  console.error(`[stack] could not start: ${error instanceof Error ? error.message : String(error)}`);
  results.push({ step: "integration", ok: false });
} else {
  for (const s of await stack.status()) console.log(`[stack] ${s.name} at ${s.endpoint}${s.external ? " (external)" : ""}`);
  const code = await runStep("npx", vitest("integration"));
  // The report as well as the exit code: a dependency's exit hook once turned a failed run into exit 0.
  results.push({ step: "integration", ok: code === 0 && readCounts("integration").failed === 0 });
}
if (started.length > 0) {
  console.log(`[stack] stopped ${(await stack.down(started)).join(", ")} (started by this run)`);
}

const counts = ["unit", "integration"].map(readCounts).reduce(
  (a, b) => ({ passed: a.passed + b.passed, failed: a.failed + b.failed, skipped: a.skipped + b.skipped }),
  { passed: 0, failed: 0, skipped: 0 },
);
console.log(`\n${results.map((r) => `${r.step} ${r.ok ? "ok" : "FAILED"}`).join(", ")} in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
console.log(`${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`);
process.exit(results.every((r) => r.ok) ? 0 : 1);

function readCounts(project: string): Counts {
  try {
    const report = JSON.parse(readFileSync(path.join(reports, `${project}.json`), "utf8")) as {
      numPassedTests: number;
      numFailedTests: number;
      numPendingTests: number;
      numTodoTests: number;
    };
    return { passed: report.numPassedTests, failed: report.numFailedTests, skipped: report.numPendingTests + report.numTodoTests };
  } catch {
    return { passed: 0, failed: 0, skipped: 0 };
  }
}
