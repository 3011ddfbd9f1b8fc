// `npm start`: brings the local stack up and says what runs; Ctrl-C stops what it started.
import { createStack, readStackEnv, resolveEndpoints } from "@schematizer/stack";

const env = readStackEnv();
const stack = createStack(env);
const started = await stack.up((line) => console.log(`[stack] ${line}`));
const endpoints = resolveEndpoints(env);

console.log(`
schematizer's local stack is running:
  Kafka       ${endpoints.kafka.brokers.join(",")}
  Postgres    ${endpoints.postgres.url}
  S3          ${endpoints.s3.endpoint}  (bucket ${endpoints.s3.bucket}, any credentials)
  logs        ${env.STACK_DIR}/logs

Press Ctrl-C to stop${started.length > 0 ? ` (stops ${started.join(", ")})` : ""}.`);

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  console.log("\n[stack] stopping");
  await stack.down(started);
  process.exit(0);
};
process.on("SIGINT", () => void stop());
process.on("SIGTERM", () => void stop());
setInterval(() => undefined, 60_000);
