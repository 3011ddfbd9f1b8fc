import { rmSync } from "node:fs";
import { createStack } from "./stack.ts";
import { readStackEnv } from "./stack-config.ts";

const USAGE = `usage: npm run stack -- <command>

  up       start Kafka, Postgres and the S3 server (those not already answering); waits until each serves requests
  down     stop what the stack runs (--clean also deletes its data, keeping downloads)
  status   what runs where; exits 1 when a service does not answer

Each service is external instead when KAFKA_BROKERS, DATABASE_URL or S3_ENDPOINT is set.`;

async function main(argv: string[]): Promise<number> {
  const [command, ...flags] = argv;
  const env = readStackEnv();
  const stack = createStack(env);
  const log = (line: string) => console.log(`[stack] ${line}`);

  switch (command) {
    case "up": {
      const t0 = performance.now();
      const started = await stack.up(log);
      const seconds = ((performance.now() - t0) / 1000).toFixed(1);
      log(started.length > 0 ? `started ${started.join(", ")} in ${seconds} s` : "already running");
      printStatus(await stack.status());
      return 0;
    }
    case "down": {
      const stopped = await stack.down();
      log(stopped.length > 0 ? `stopped ${stopped.join(", ")}` : "nothing of ours was running");
      if (flags.includes("--clean")) {
        for (const dir of ["kafka", "postgres", "s3", "run"]) rmSync(`${env.STACK_DIR}/${dir}`, { recursive: true, force: true });
        log(`deleted the stack's data under ${env.STACK_DIR}`);
      }
      return 0;
    }
    case "status": {
      const status = await stack.status();
      printStatus(status);
      return status.every((s) => s.ready) ? 0 : 1;
    }
    default:
      console.log(USAGE);
      return command === undefined || command === "--help" || command === "help" ? 0 : 2;
  }
}

function printStatus(status: Awaited<ReturnType<ReturnType<typeof createStack>["status"]>>): void {
  for (const s of status) {
    const state = s.ready ? "ready" : "down";
    const owner = s.external ? "external" : s.pid ? `pid ${s.pid}` : "not running";
    console.log(`  ${s.name.padEnd(9)} ${state.padEnd(6)} ${s.endpoint}  (${owner})`);
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`[stack] ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
