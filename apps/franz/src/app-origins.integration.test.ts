import { spawnSync } from "node:child_process";
import path from "node:path";
import { createLogger, createMetricsRegistry } from "@schematizer/observability";
import { openRegistry } from "@schematizer/registry";
import { repoRoot, resolveEndpoints } from "@schematizer/stack";
import { test } from "@schematizer/testing";
import { describe, expect } from "vitest";
import { buildAdminApi } from "./admin-api.ts";
import { createAutoscaler } from "./autoscaler.ts";
import { franzConfigSchema } from "./config.ts";
import { createControl } from "./control.ts";

const TOKEN = "test-admin-token-0123456789";

describe("an app's allowed browser origins (the tracking API's CORS)", () => {
  test("are set, printed and cleared by the CLI and the admin API, checked, and kept canonical", async ({ kafka, db }) => {
    const env = { ...process.env, KAFKA_BROKERS: resolveEndpoints().kafka.brokers.join(","), DATABASE_URL: db.url, REGISTRY_SCHEMA: db.schema, TOPIC_PREFIX: kafka.prefix };
    const cli = (...args: string[]) => spawnSync(process.execPath, ["--import", "tsx", path.join(repoRoot(), "apps/franz/src/cli.ts"), ...args], { env, encoding: "utf8", cwd: repoRoot() });
    expect(cli("apps", "create", "acme").status).toBe(0);
    const set = cli("apps", "origins", "acme", "HTTPS://Shop.Example.com", "https://*.example.com", "--json");
    expect([set.status, JSON.parse(set.stdout)]).toEqual([0, { name: "acme", allowedOrigins: ["https://shop.example.com", "https://*.example.com"] }]);
    expect(cli("apps", "origins", "acme").stdout).toMatch(/^app acme accepts events from pages of: https:\/\/shop\.example\.com https:\/\/\*\.example\.com$/m);
    const bad = cli("apps", "origins", "acme", "shop.example.com");
    expect([bad.status, bad.stderr]).toEqual([2, expect.stringMatching(/INVALID_SETTINGS/)]);

    const config = franzConfigSchema.parse({ FRANZ_ADMIN_TOKEN: TOKEN, TOPIC_PREFIX: kafka.prefix });
    const registry = await openRegistry({ pool: db.pool, schema: db.schema, topicPrefix: kafka.prefix });
    const metrics = createMetricsRegistry("franz", { processMetrics: false });
    const autoscaler = createAutoscaler({ admin: kafka.admin, policy: { maxRatePerPartition: 500, maxPartitions: 8, targetUtilisation: 0.5 }, topics: /^$/, dryRun: true, log: createLogger("franz", "silent"), metrics });
    const api = buildAdminApi({ control: createControl({ registry, admin: kafka.admin, config }), autoscaler, registry, adminToken: TOKEN, metrics, notReadyReason: () => undefined });
    try {
      const put = (origins: unknown) =>
        api.inject({ method: "PUT", url: "/v1/apps/acme/allowed-origins", payload: { origins }, headers: { authorization: `Bearer ${TOKEN}` } });
      const replaced = await put(["http://localhost:3000"]);
      expect([replaced.statusCode, replaced.json().allowedOrigins]).toEqual([200, ["http://localhost:3000"]]);
      expect((await put(["ftp://x"])).statusCode).toBe(400);
      expect((await registry.apps.getApp("acme"))?.allowedOrigins).toEqual(["http://localhost:3000"]);
    } finally {
      await api.close();
    }
    expect(JSON.parse(cli("apps", "origins", "acme", "--clear", "--json").stdout)).toEqual({ name: "acme", allowedOrigins: [] });
  });
});
