/**
 * The services as they run in production: one JavaScript bundle per entry point
 * (`apps/<app>/dist/main.js`, and `cli.js` where the app has a CLI), made by esbuild from the
 * TypeScript sources. The project's own libraries are bundled in; npm packages stay imports,
 * resolved from node_modules at run time, so a bundle runs them exactly as installed.
 *
 * Every start of a service (the image's ENTRYPOINT, `npm start`, the tests and the benchmarks) runs
 * a bundle with the same Node flags.
 *
 * Also exported alone as `@schematizer/stack/bundles`: `npm run build` and the CLIs' npm scripts
 * build first, and the stack's index would load every client (Kafka, S3, Postgres) for nothing.
 */
import { existsSync, readFileSync, renameSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { build, type Plugin } from "esbuild";
import { repoRoot } from "./stack-config.ts";

/** The project's services, each an app under `apps/`. */
export const SERVICES = ["event-sink", "sqlizer", "batcher", "franz"] as const;
export type ServiceName = (typeof SERVICES)[number];

/** A service's program: the long-running service itself, or its operator CLI. */
export type ServiceProgram = "main" | "cli";

/** One bundle: the TypeScript it is built from and the JavaScript that runs, relative to the repository. */
export interface ServiceEntry {
  app: ServiceName;
  program: ServiceProgram;
  source: string;
  output: string;
}

/**
 * Every bundle the build makes: each service's `main`, and the `cli` of those that have one.
 *
 * @example
 * serviceEntries().find((e) => e.app === "franz" && e.program === "cli")?.output; // "apps/franz/dist/cli.js"
 */
export function serviceEntries(root = repoRoot()): ServiceEntry[] {
  return SERVICES.flatMap((app) =>
    (["main", "cli"] as const)
      .map((program) => ({ app, program, source: `apps/${app}/src/${program}.ts`, output: `apps/${app}/dist/${program}.js` }))
      .filter((entry) => entry.program === "main" || existsSync(path.join(root, entry.source))),
  );
}

/** npm packages stay imports; only the project's own libraries (`@schematizer/*`, TypeScript) are bundled. */
const npmPackagesExternal: Plugin = {
  name: "npm-packages-external",
  setup(builder) {
    builder.onResolve({ filter: /^[^./]/ }, (args) => (args.path.startsWith("@schematizer/") ? undefined : { path: args.path, external: true }));
  },
};

/**
 * Builds the services' bundles (all of them unless told which), with source maps (the services
 * run with `--enable-source-maps`, so stack traces name the TypeScript lines). A bundle whose bytes
 * did not change is left alone, and a changed one replaces the old by a rename: a test run
 * starting a service while another builds never reads half a file.
 *
 * @example
 * const { written, ms } = await buildServices(); // written: ["apps/sqlizer/dist/main.js", …], or [] when up to date
 * await buildServices(serviceEntries().filter((e) => e.app === "franz" && e.program === "cli"));
 */
export async function buildServices(entries: ServiceEntry[] = serviceEntries()): Promise<{ written: string[]; ms: number }> {
  const root = repoRoot();
  const t0 = performance.now();
  const result = await build({
    absWorkingDir: root,
    entryPoints: entries.map((e) => ({ in: e.source, out: e.output.replace(/\.js$/, "") })),
    outdir: root,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    sourcemap: "linked",
    sourcesContent: false,
    // Off, unlike under tsx, which wraps every function it names in a call made each time the
    // function is created (closures in hot loops included); nothing here reads a function's name.
    keepNames: false,
    plugins: [npmPackagesExternal],
    write: false,
    logLevel: "warning",
  });
  const written: string[] = [];
  for (const file of result.outputFiles) {
    if (existsSync(file.path) && Buffer.from(file.contents).equals(readFileSync(file.path))) continue;
    mkdirSync(path.dirname(file.path), { recursive: true });
    const partial = `${file.path}.${process.pid}.partial`;
    writeFileSync(partial, file.contents);
    renameSync(partial, file.path);
    written.push(path.relative(root, file.path));
  }
  return { written, ms: Math.round(performance.now() - t0) };
}

/** Node flags every service runs with; the Dockerfile's ENTRYPOINT carries the same. */
export const SERVICE_NODE_FLAGS = ["--enable-source-maps"] as const;

/**
 * The command that runs a service's bundle (built by `buildServices`) on the Node running this
 * process: a test run on Node 22 starts its services on Node 22.
 *
 * @example
 * const { command, args } = serviceCommand("franz", "cli");
 * spawnSync(command, [...args, "apps", "list"]);
 */
export function serviceCommand(app: ServiceName, program: ServiceProgram = "main", nodeFlags: string[] = []): { command: string; args: string[] } {
  const root = repoRoot();
  const entry = serviceEntries(root).find((e) => e.app === app && e.program === program);
  if (entry === undefined) throw new Error(`${app} has no ${program} program`);
  return { command: process.execPath, args: [...SERVICE_NODE_FLAGS, ...nodeFlags, path.join(root, entry.output)] };
}
