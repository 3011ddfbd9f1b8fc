import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import path from "node:path";

export interface MavenArtifact {
  groupId: string;
  artifactId: string;
  version: string;
  classifier?: string;
}

/**
 * Copies the artifacts and their runtime dependencies from Maven Central into `dir/libs`,
 * once: a completed fetch leaves a marker and is not repeated. Maven's own cache (~/.m2)
 * makes a second checkout's fetch quick.
 */
export function fetchArtifacts(dir: string, artifacts: MavenArtifact[], log: (line: string) => void): string {
  const libs = path.join(dir, "libs");
  const marker = path.join(dir, ".complete");
  if (existsSync(marker)) return libs;
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, "pom.xml"), pom(artifacts));
  log(`fetching ${artifacts.map((a) => `${a.artifactId}:${a.version}`).join(", ")} from Maven Central`);
  const result = spawnSync(
    "mvn",
    ["-B", "-q", "dependency:copy-dependencies", "-DincludeScope=runtime", `-DoutputDirectory=${libs}`],
    { cwd: dir, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] },
  );
  if (result.error) throw new Error(`could not run mvn (is Maven installed?): ${result.error.message}`);
  if (result.status !== 0) throw new Error(`mvn failed in ${dir}:\n${result.stdout}\n${result.stderr}`);
  if (readdirSync(libs).length === 0) throw new Error(`mvn fetched nothing into ${libs}`);
  writeFileSync(marker, new Date().toISOString());
  return libs;
}

function pom(artifacts: MavenArtifact[]): string {
  const deps = artifacts
    .map(
      (a) =>
        `    <dependency><groupId>${a.groupId}</groupId><artifactId>${a.artifactId}</artifactId>` +
        `<version>${a.version}</version>${a.classifier ? `<classifier>${a.classifier}</classifier>` : ""}</dependency>`,
    )
    .join("\n");
  return `<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>schematizer.stack</groupId>
  <artifactId>fetch</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
${deps}
  </dependencies>
</project>
`;
}
