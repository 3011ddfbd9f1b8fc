// `npm run fuzz:pipeline [-- --seed N --events N]`: the generated-input test of the whole pipeline
// (e2e/generated-input.integration.test.ts) at a larger size, from a random seed unless one is given.
// Starts the stack when it is not running, and stops what it started. A failing seed is printed:
// add it to the test's SEEDS so every `npm test` runs it.
import { parseArgs } from "node:util";
import { createStack, readStackEnv } from "@schematizer/stack";
import { runStep } from "./run-step.ts";

const { values } = parseArgs({ options: { seed: { type: "string" }, events: { type: "string", default: "2000" } } });
const seed = values.seed ?? String(Math.floor(Math.random() * 2 ** 31));
const stack = createStack(readStackEnv());
const started = await stack.up((line) => console.log(`[stack] ${line}`));
console.log(`fuzz:pipeline seed ${seed}, ${values.events} events`);
const code = await runStep("npx", ["vitest", "run", "--project", "integration", "e2e/generated-input.integration.test.ts"], {
  ...process.env,
  FUZZ_SEED: seed,
  FUZZ_EVENTS: values.events,
  FUZZ_SETTLE_MS: process.env.FUZZ_SETTLE_MS ?? "600000",
});
if (started.length > 0) console.log(`[stack] stopped ${(await stack.down(started)).join(", ")} (started by this run)`);
console.log(code === 0 ? `seed ${seed}: every accepted event ended as one row or one dead letter` : `seed ${seed} FAILED: add it to SEEDS in e2e/generated-input.integration.test.ts once fixed`);
process.exit(code);
