// `npm run build [-- <app>/<program> …]`: the services' bundles (apps/<app>/dist/main.js, and cli.js
// where the app has a CLI), as the image, `npm start`, the tests and the benchmarks run them; all of
// them, or those named (`franz/cli`: the CLIs' npm scripts build only their own). `--quiet` prints
// only errors.
import { buildServices, serviceEntries } from "@schematizer/stack/bundles";

const args = process.argv.slice(2);
const quiet = args.includes("--quiet");
const named = args.filter((a) => !a.startsWith("--"));
const entries = serviceEntries().filter((e) => named.length === 0 || named.includes(`${e.app}/${e.program}`));
if (entries.length < named.length) {
  console.error(`[build] unknown among ${named.join(", ")}; the programs are ${serviceEntries().map((e) => `${e.app}/${e.program}`).join(", ")}`);
  process.exit(2);
}
try {
  const { written, ms } = await buildServices(entries);
  if (!quiet) console.log(`[build] ${written.length === 0 ? "bundles up to date" : `wrote ${written.filter((f) => f.endsWith(".js")).join(", ")}`} (${ms} ms)`);
} catch {
  // esbuild has printed each error with its file and line.
  console.error("[build] failed");
  process.exit(1);
}
