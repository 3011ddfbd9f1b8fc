import { mkdirSync } from "node:fs";
import path from "node:path";
import { ListBucketsCommand } from "@aws-sdk/client-s3";
import { s3Client } from "@schematizer/s3";
import { fetchArtifacts } from "./maven.ts";
import { managedProcess, runningPid, spawnDetached, stopProcess, waitUntilReady } from "./processes.ts";
import type { Service } from "./service.ts";
import { cacheDir, type Endpoints, type StackEnv } from "./stack-config.ts";

/** Adobe S3Mock, an S3-protocol server, from its exec jar on Maven Central. */
export function s3Service(env: StackEnv, endpoints: Endpoints): Service {
  const dataDir = path.join(env.STACK_DIR, "s3", "data");
  const proc = managedProcess(env.STACK_DIR, "s3");

  return {
    name: "s3",
    endpoint: endpoints.s3.endpoint,
    external: endpoints.s3.external,
    pid: () => runningPid(proc),
    async start(log) {
      const libs = fetchArtifacts(
        path.join(cacheDir(env), `s3mock-${env.STACK_S3MOCK_VERSION}`),
        [{ groupId: "com.adobe.testing", artifactId: "s3mock", version: env.STACK_S3MOCK_VERSION, classifier: "exec" }],
        log,
      );
      mkdirSync(dataDir, { recursive: true });
      spawnDetached(
        proc,
        "java",
        [
          "-Xmx256m",
          "-XX:TieredStopAtLevel=1",
          "-jar",
          path.join(libs, `s3mock-${env.STACK_S3MOCK_VERSION}-exec.jar`),
          `--http.port=${env.STACK_S3_PORT}`,
          `--server.port=${env.STACK_S3_HTTPS_PORT}`,
          "--server.address=127.0.0.1",
          // Batch files can be large; the server's default cap on a request body is 10 MB.
          "--com.adobe.testing.s3mock.max-payload-size=256MB",
        ],
        {
          env: {
            ...process.env,
            COM_ADOBE_TESTING_S3MOCK_STORE_ROOT: dataDir,
            COM_ADOBE_TESTING_S3MOCK_STORE_RETAIN_FILES_ON_EXIT: "true",
            COM_ADOBE_TESTING_S3MOCK_STORE_REGION: endpoints.s3.region,
            // Without an initial bucket the server records one named "" in its root folder, and then
            // fails every request after a restart that keeps its files.
            COM_ADOBE_TESTING_S3MOCK_STORE_INITIAL_BUCKETS: env.S3_BUCKET,
          },
        },
      );
      await waitUntilReady(proc, () => this.ready(), 90_000);
    },
    async ready() {
      const client = s3Client(endpoints.s3);
      try {
        await client.send(new ListBucketsCommand({}));
        return true;
      } catch {
        return false;
      } finally {
        client.destroy();
      }
    },
    stop: () => stopProcess(proc, "SIGTERM", 20_000),
  };
}
