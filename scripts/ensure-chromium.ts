// Installs Debian's chromium for the browser test (e2e/tracking-browser.integration.test.ts) when
// it is missing and this machine lets us: as root, with apt-get. Otherwise the test skips, saying why.
import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import { runStep } from "./run-step.ts";

/**
 * Resolves to a line saying what was done; never rejects (a failed install only skips one test).
 *
 * @example
 * console.log(await ensureChromium(".stack/logs")); // "chromium: /usr/bin/chromium"
 */
export async function ensureChromium(logDir: string): Promise<string> {
  const binary = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
  if (existsSync(binary)) return `chromium: ${binary}`;
  if (process.env.CHROMIUM_PATH !== undefined) return `chromium: none at CHROMIUM_PATH=${binary}; the browser test will skip`;
  if (process.getuid?.() !== 0 || !existsSync("/usr/bin/apt-get")) {
    return "chromium: not installed, and installing it needs root and apt-get; the browser test will skip";
  }
  mkdirSync(logDir, { recursive: true });
  const log = path.join(logDir, "chromium-install.log");
  const install = `apt-get update -qq >>"${log}" 2>&1 && apt-get install -y -qq chromium >>"${log}" 2>&1`;
  const code = await runStep("sh", ["-c", install], { ...process.env, DEBIAN_FRONTEND: "noninteractive" });
  return code === 0 && existsSync(binary) ? `chromium: installed ${binary} (log ${log})` : `chromium: apt-get install failed (see ${log}); the browser test will skip`;
}
