/**
 * Segment's browser library (analytics-next), loaded in a page served from another origin than
 * the sink's, in headless Chromium: a page view, a track and an identify land in their tables,
 * through the preflights and the app's allowed origins. Needs Debian's `chromium` (scripts/test.ts
 * installs it when it can); skipped, saying why, without it.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { createRequire } from "node:module";
import { chromium } from "playwright-core";
import { describe, expect } from "vitest";
import { test } from "@schematizer/testing";
import { startPipeline } from "./pipeline-kit.ts";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];
const haveChromium = existsSync(CHROMIUM);
const bundle = readFileSync(createRequire(import.meta.url).resolve("@segment/analytics-next/dist/umd/index.js"));

/** The customer's site: the library and one page that loads it with no Segment CDN. */
function page(writeKey: string, apiHost: string): string {
  return `<!doctype html><html><head><title>Checkout</title><script src="/analytics.js"></script></head><body><script>
    (async () => {
      try {
        const [analytics] = await AnalyticsNext.AnalyticsBrowser.load(
          {
            writeKey: ${JSON.stringify(writeKey)},
            // Settings normally fetched from Segment's CDN, given here: where to send, and no metrics.
            cdnSettings: { integrations: { "Segment.io": { apiKey: ${JSON.stringify(writeKey)}, apiHost: ${JSON.stringify(apiHost)}, protocol: "http" } }, metrics: { sampleRate: 0 } },
          },
          { disableClientPersistence: true },
        );
        await analytics.page("Checkout", { step: 1 });
        await analytics.track("Order Completed", { order_id: "o1", total: 30.5 });
        await analytics.identify("u1", { email: "peter@initech.com" });
        window.__done = "ok";
      } catch (error) {
        window.__done = "error: " + error;
      }
    })();
  </script></body></html>`;
}

const title = haveChromium
  ? "Segment's browser library against the tracking API"
  : `Segment's browser library against the tracking API: skipped, no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`;

describe.skipIf(!haveChromium)(title, () => {
  test("a page view, a track and an identify from a page on an allowed origin land", async ({ kafka, db, bucket, endpoints }) => {
    const pipeline = await startPipeline({ kafka, db, bucket, endpoints });
    const userData = mkdtempSync(path.join(os.tmpdir(), "sz-chromium-"));
    let html = "";
    const site = http.createServer((request, response) => {
      if (request.url === "/analytics.js") response.writeHead(200, { "content-type": "text/javascript" }).end(bundle);
      else if (request.url === "/") response.writeHead(200, { "content-type": "text/html" }).end(html);
      else response.writeHead(404).end();
    });
    await new Promise<void>((resolve) => site.listen(0, "127.0.0.1", resolve));
    const origin = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;
    const browser = await chromium.launchPersistentContext(userData, { executablePath: CHROMIUM, headless: true, args: FLAGS });
    try {
      const key = pipeline.createApp("acme");
      pipeline.franz(["apps", "origins", "acme", origin]);
      html = page(key, `${new URL(pipeline.sinkUrl).host}/v1`);
      const tab = await browser.newPage();
      const answers: number[] = [];
      tab.on("response", (response) => {
        if (response.url().startsWith(pipeline.sinkUrl) && response.request().method() === "POST") answers.push(response.status());
      });
      await tab.goto(origin);
      const done = () => (globalThis as { __done?: string }).__done;
      await tab.waitForFunction(() => (globalThis as { __done?: string }).__done !== undefined, undefined, { timeout: 60_000 });
      expect(await tab.evaluate(done)).toBe("ok");
      expect(answers).toEqual([200, 200, 200]);

      const [view] = await pipeline.rows("acme", "_e_user__pages", 1);
      const anonymousId = view!.anonymous_id as string;
      expect(anonymousId).toMatch(/^[0-9a-f-]{36}$/);
      expect(view).toMatchObject({ _sz_enid: anonymousId, name: "Checkout", step: "1", title: "Checkout", url: `${origin}/`, context__page__path: "/", context__library__name: "analytics.js" });
      const [order] = await pipeline.rows("acme", "_e_user__order_completed", 1);
      expect(order).toMatchObject({ _sz_enid: anonymousId, anonymous_id: anonymousId, order_id: "o1", total: 30.5 });
      expect(order!.context__user_agent).toMatch(/Chrome/);
      const [identify] = await pipeline.rows("acme", "_e_user__identifies", 1);
      expect(identify).toMatchObject({ _sz_enid: "u1", user_id: "u1", anonymous_id: anonymousId, traits__email: "peter@initech.com" });
    } finally {
      await browser.close();
      site.close();
      rmSync(userData, { recursive: true, force: true });
      await pipeline.stop();
    }
  }, 240_000);
});
