/**
 * The Node the image runs, for running the test suites on it where the machine's Node is another
 * major: the `node-<platform>-<arch>` package of the npm registry carries the official binary in
 * `bin/node`, so it comes through the same registry as every other dependency.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { cacheDir, type StackEnv } from "./stack-config.ts";

const run = promisify(execFile);

/** The major version of the image's Node (the Dockerfile's `FROM node:22-…`). */
export const IMAGE_NODE_MAJOR = 22;

/** Whether the machine's Node is the image's, so one run of the suites covers both. */
export function runsOnImageNode(version = process.versions.node): boolean {
  return Number(version.split(".")[0]) === IMAGE_NODE_MAJOR;
}

/**
 * A Node binary of the image's major version: this process's own when it is one, else
 * `STACK_NODE_VERSION` fetched once with `npm pack` into the stack's cache (a second call, or a
 * second checkout sharing the cache, finds it there).
 *
 * @example
 * const node22 = await imageNode(readStackEnv(), console.log); // ".stack/cache/node-22.23.5/bin/node"
 */
export async function imageNode(env: StackEnv, log: (line: string) => void): Promise<string> {
  if (runsOnImageNode()) return process.execPath;
  const dir = path.join(cacheDir(env), `node-${env.STACK_NODE_VERSION}`);
  const binary = path.join(dir, "bin", "node");
  if (existsSync(binary)) return binary;
  const pkg = `node-${os.platform()}-${os.arch()}@${env.STACK_NODE_VERSION}`;
  log(`fetching Node ${env.STACK_NODE_VERSION} (${pkg}) from the npm registry`);
  const partial = `${dir}.${process.pid}.partial`;
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(partial, { recursive: true });
  try {
    await run("npm", ["pack", pkg, "--pack-destination", partial, "--silent"], { cwd: partial, maxBuffer: 1 << 20 });
    const tarball = readdirSync(partial).find((f) => f.endsWith(".tgz"));
    if (tarball === undefined) throw new Error(`npm pack ${pkg} left no tarball`);
    await run("tar", ["-xzf", tarball, "--strip-components=1", "package/bin/node"], { cwd: partial });
    rmSync(path.join(partial, tarball));
    const { stdout } = await run(path.join(partial, "bin", "node"), ["--version"]);
    if (!runsOnImageNode(stdout.trim().replace(/^v/, ""))) throw new Error(`${pkg} is Node ${stdout.trim()}, not ${IMAGE_NODE_MAJOR}`);
    // A concurrent fetch may have won; either binary is the same.
    if (!existsSync(binary)) {
      rmSync(dir, { recursive: true, force: true });
      renameSync(partial, dir);
    }
  } finally {
    rmSync(partial, { recursive: true, force: true });
  }
  return binary;
}
