import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { cacheDir, createStack, freePort, readStackEnv, type Stack } from "@schematizer/stack";

/** A broker of a test's own, for tests that stop and restart Kafka without disturbing others. */
export interface PrivateKafka {
  brokers: string[];
  /** Starts (or restarts, keeping its data) the broker; resolves once it serves requests. */
  start(): Promise<void>;
  /** Stops the broker cleanly (SIGTERM). */
  stop(): Promise<void>;
  /** Stops it and deletes its data. */
  dispose(): Promise<void>;
}

/**
 * A second single-node broker on free ports, sharing the stack's downloaded jars. Needs the local
 * stack's jars: with an external KAFKA_BROKERS there is no broker of ours to restart.
 *
 * @example
 * const broker = await privateKafka(); await broker.start(); ... await broker.dispose();
 */
export async function privateKafka(): Promise<PrivateKafka> {
  const base = readStackEnv();
  const dir = mkdtempSync(path.join(os.tmpdir(), "sz-kafka-"));
  const [port, controllerPort] = [await freePort(), await freePort()];
  const env = readStackEnv({
    ...process.env,
    KAFKA_BROKERS: "",
    STACK_DIR: dir,
    STACK_CACHE_DIR: cacheDir(base),
    STACK_KAFKA_PORT: String(port),
    STACK_KAFKA_CONTROLLER_PORT: String(controllerPort),
    STACK_KAFKA_HEAP: "384m",
  });
  const stack: Stack = createStack(env);
  const kafka = stack.services.find((s) => s.name === "kafka")!;
  return {
    brokers: [`127.0.0.1:${port}`],
    start: () => kafka.start(() => undefined),
    stop: async () => {
      await kafka.stop();
    },
    async dispose() {
      await kafka.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
