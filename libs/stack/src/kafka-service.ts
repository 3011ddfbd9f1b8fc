import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { kafkajsClient } from "@schematizer/kafka";
import { fetchArtifacts } from "./maven.ts";
import { managedProcess, runningPid, spawnDetached, stopProcess, waitUntilReady } from "./processes.ts";
import type { Service } from "./service.ts";
import { cacheDir, type Endpoints, type StackEnv } from "./stack-config.ts";

/** A single-node KRaft broker (broker and controller in one JVM) from the official jars. */
export function kafkaService(env: StackEnv, endpoints: Endpoints): Service {
  const home = path.join(env.STACK_DIR, "kafka");
  const dataDir = path.join(home, "data");
  const proc = managedProcess(env.STACK_DIR, "kafka");

  return {
    name: "kafka",
    endpoint: endpoints.kafka.brokers.join(","),
    external: endpoints.kafka.external,
    pid: () => runningPid(proc),
    async start(log) {
      const libs = fetchArtifacts(
        path.join(cacheDir(env), `kafka-${env.STACK_KAFKA_VERSION}`),
        [
          { groupId: "org.apache.kafka", artifactId: "kafka_2.13", version: env.STACK_KAFKA_VERSION },
          // kafka_2.13's POM brings log4j-core but no SLF4J binding: without one the broker logs nothing.
          { groupId: "org.apache.logging.log4j", artifactId: "log4j-slf4j-impl", version: env.STACK_LOG4J_VERSION },
        ],
        log,
      );
      mkdirSync(dataDir, { recursive: true });
      const serverProperties = path.join(home, "server.properties");
      const log4jProperties = path.join(home, "log4j2.properties");
      writeFileSync(serverProperties, serverConfig(env, dataDir));
      writeFileSync(log4jProperties, LOG4J_CONFIG);
      const java = ["-cp", `${libs}/*`, `-Dlog4j2.configurationFile=file:${log4jProperties}`];

      if (!existsSync(path.join(dataDir, "meta.properties"))) {
        // The broker refuses to start on unformatted storage ("No readable meta.properties files found").
        const format = spawnSync(
          "java",
          [...java, "kafka.tools.StorageTool", "format", `--cluster-id=${kafkaUuid()}`, "-c", serverProperties, "--ignore-formatted"],
          { encoding: "utf8" },
        );
        if (format.status !== 0) throw new Error(`formatting Kafka storage failed:\n${format.stdout}${format.stderr}`);
      }

      spawnDetached(proc, "java", [
        `-Xms${env.STACK_KAFKA_HEAP}`,
        `-Xmx${env.STACK_KAFKA_HEAP}`,
        "-XX:+UseG1GC",
        "-XX:MaxGCPauseMillis=20",
        "-Djava.awt.headless=true",
        ...java,
        "kafka.Kafka",
        serverProperties,
      ]);
      await waitUntilReady(proc, () => this.ready(), 120_000);
    },
    ready: () => kafkaReady(endpoints.kafka.brokers),
    stop: () => stopProcess(proc, "SIGTERM", 30_000),
  };
}

async function kafkaReady(brokers: string[]): Promise<boolean> {
  const client = kafkajsClient({ brokers, clientId: "stack-probe", connectionTimeoutMs: 1_000, requestTimeoutMs: 3_000, retries: 0 });
  try {
    const admin = await client.admin();
    try {
      return (await admin.brokers()).length > 0;
    } finally {
      await admin.close();
    }
  } catch {
    return false;
  }
}

/**
 * A Kafka cluster id: 16 random bytes, base64url without padding, as `kafka-storage random-uuid`
 * prints. Like Kafka's own, never one that starts with "-", which command lines read as an option.
 */
export function kafkaUuid(random: () => Buffer = () => randomBytes(16)): string {
  for (;;) {
    const id = random().toString("base64url");
    if (!id.startsWith("-")) return id;
  }
}

function serverConfig(env: StackEnv, dataDir: string): string {
  const host = "127.0.0.1";
  return `# Written by the stack on every start; edit stack-config.ts instead.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@${host}:${env.STACK_KAFKA_CONTROLLER_PORT}
listeners=PLAINTEXT://${host}:${env.STACK_KAFKA_PORT},CONTROLLER://${host}:${env.STACK_KAFKA_CONTROLLER_PORT}
advertised.listeners=PLAINTEXT://${host}:${env.STACK_KAFKA_PORT}
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=${dataDir}
num.partitions=1
# Topics are created by franz and the tests, never implicitly by a typo.
auto.create.topics.enable=false
offsets.topic.replication.factor=1
offsets.topic.num.partitions=8
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
log.retention.hours=24
log.segment.bytes=134217728
`;
}

const LOG4J_CONFIG = `status = warn
appender.console.type = Console
appender.console.name = STDOUT
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = WARN
rootLogger.appenderRef.stdout.ref = STDOUT
logger.server.name = kafka.server.KafkaRaftServer
logger.server.level = INFO
logger.kafka.name = kafka.Kafka
logger.kafka.level = INFO
`;
