import { test } from "@schematizer/testing";
import { describe, expect } from "vitest";
import { openRegistry } from "./registry.ts";

describe("apps found by their write key alone (the tracking API)", () => {
  test("a key opens its own app, a rotated key during its grace only, a disabled app says so, a guess nothing", async ({ db }) => {
    const registry = await openRegistry({ pool: db.pool, schema: db.schema });
    const { key: acme } = await registry.apps.createApp("acme");
    const { key: globex } = await registry.apps.createApp("globex");
    expect(await registry.apps.authenticateKey(acme)).toEqual({ outcome: "ok", app: "acme", allowedOrigins: [] });
    expect(await registry.apps.authenticateKey(globex)).toMatchObject({ outcome: "ok", app: "globex" });
    expect(await registry.apps.authenticateKey(`${acme}x`)).toEqual({ outcome: "unknown_key" });

    const { key: next } = await registry.apps.rotateKey("acme", { graceSeconds: 60 });
    expect(await registry.apps.authenticateKey(acme)).toMatchObject({ outcome: "ok", app: "acme" });
    expect(await registry.apps.authenticateKey(next)).toMatchObject({ outcome: "ok", app: "acme" });
    await registry.apps.rotateKey("acme");
    expect(await registry.apps.authenticateKey(next)).toEqual({ outcome: "unknown_key" });

    await registry.apps.disableApp("globex");
    expect(await registry.apps.authenticateKey(globex)).toEqual({ outcome: "disabled", app: "globex" });
    // The lookup is by the key's hash, through an index.
    const { rows } = await db.pool.query<{ indexname: string }>(`SELECT indexname FROM pg_indexes WHERE schemaname = $1 AND tablename = 'apps' ORDER BY 1`, [db.schema]);
    expect(rows.map((r) => r.indexname)).toEqual(expect.arrayContaining(["apps_key_hash", "apps_previous_key_hash"]));
  });

  test("an app's allowed origins are kept canonical, come with its key's verdict, and are checked", async ({ db }) => {
    const registry = await openRegistry({ pool: db.pool, schema: db.schema });
    const { key } = await registry.apps.createApp("acme");
    const app = await registry.apps.setAllowedOrigins("acme", ["HTTPS://Shop.Example.com:443", "https://*.acme.dev"]);
    expect(app.allowedOrigins).toEqual(["https://shop.example.com", "https://*.acme.dev"]);
    expect(await registry.apps.authenticateKey(key)).toEqual({ outcome: "ok", app: "acme", allowedOrigins: ["https://shop.example.com", "https://*.acme.dev"] });
    expect((await registry.apps.getApp("acme"))?.allowedOrigins).toEqual(["https://shop.example.com", "https://*.acme.dev"]);
    await expect(registry.apps.setAllowedOrigins("acme", ["shop.example.com"])).rejects.toMatchObject({ code: "REGISTRY_INVALID_SETTINGS" });
    await expect(registry.apps.setAllowedOrigins("globex", ["*"])).rejects.toMatchObject({ code: "REGISTRY_UNKNOWN_APP" });
    expect((await registry.apps.setAllowedOrigins("acme", [])).allowedOrigins).toEqual([]);
  });
});
