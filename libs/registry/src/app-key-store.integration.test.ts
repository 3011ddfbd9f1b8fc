import { test } from "@schematizer/testing";
import { describe, expect } from "vitest";
import { openAppKeyStore } from "./app-key-store.ts";
import { openRegistry } from "./registry.ts";

describe("the read-only key store (what event-sink opens)", () => {
  test("gives the registry's verdicts on keys, by app and by key alone", async ({ db }) => {
    const registry = await openRegistry({ pool: db.pool, schema: db.schema });
    const { key: acme } = await registry.apps.createApp("acme");
    const { key: globex } = await registry.apps.createApp("globex");
    await registry.apps.setAllowedOrigins("acme", ["https://shop.example.com"]);
    await registry.apps.disableApp("globex");

    const keys = openAppKeyStore({ pool: db.pool, schema: db.schema });
    expect(await keys.authenticate("acme", acme)).toBe("ok");
    expect(await keys.authenticate("acme", globex)).toBe("wrong_key");
    expect(await keys.authenticate("globex", globex)).toBe("disabled");
    expect(await keys.authenticate("initech", acme)).toBe("unknown_app");
    expect(await keys.authenticate("Not A Name", acme)).toBe("unknown_app");
    expect(await keys.authenticateKey(acme)).toEqual({ outcome: "ok", app: "acme", allowedOrigins: ["https://shop.example.com"] });
    expect(await keys.authenticateKey(globex)).toEqual({ outcome: "disabled", app: "globex" });
    expect(await keys.authenticateKey(`${acme}x`)).toEqual({ outcome: "unknown_key" });
  });

  test("runs no migrations: before the registry exists, a check fails rather than answering", async ({ db }) => {
    const keys = openAppKeyStore({ pool: db.pool, schema: db.schema });
    await expect(keys.authenticate("acme", "szk_x")).rejects.toThrow(/apps/);
    await expect(keys.authenticateKey("szk_x")).rejects.toThrow(/apps/);
    const { rows } = await db.pool.query(`SELECT tablename FROM pg_tables WHERE schemaname = $1`, [db.schema]);
    expect(rows).toEqual([]);
  });
});
