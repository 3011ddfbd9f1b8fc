// Runs before `npm start` and `npm test`: installs the locked dependencies on a fresh clone,
// or when package-lock.json changed since the last install. Plain Node: nothing is installed yet.
import { execSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";

const installed = "node_modules/.package-lock.json";
const stale = !existsSync(installed) || statSync("package-lock.json").mtimeMs > statSync(installed).mtimeMs;
if (stale) {
  console.log("[deps] installing the locked dependencies (npm ci)");
  execSync("npm ci --no-audit --no-fund", { stdio: "inherit" });
}
