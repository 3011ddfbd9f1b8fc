import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonicalOrigin, isOriginAllowed, resolveAllowedOrigins } from "./app-origins.ts";

describe("allowed origins", () => {
  it("keeps entries in one canonical form", () => {
    expect(canonicalOrigin("HTTPS://Shop.Example.COM:443/")).toBe("https://shop.example.com");
    expect(canonicalOrigin("http://localhost:3000")).toBe("http://localhost:3000");
    expect(canonicalOrigin("http://127.0.0.1:80")).toBe("http://127.0.0.1");
    expect(canonicalOrigin("https://*.Example.com")).toBe("https://*.example.com");
    expect(canonicalOrigin(" * ")).toBe("*");
    for (const bad of ["", "shop.example.com", "ftp://x.com", "https://x.com/cart", "https://x.com?a", "https://x.com:0", "https://x.com:70000", "https://*", "https://a*.x.com", "https://x..com", "null"]) {
      expect([bad, canonicalOrigin(bad)]).toEqual([bad, undefined]);
    }
  });

  it("lists every bad entry at once, and drops duplicates", () => {
    expect(resolveAllowedOrigins(["https://a.com", "HTTPS://A.com", "https://*.b.com"])).toEqual(["https://a.com", "https://*.b.com"]);
    let error: unknown;
    try {
      resolveAllowedOrigins(["https://a.com", "nope", "ftp://x"]);
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ code: "REGISTRY_INVALID_SETTINGS", context: { problems: [expect.stringContaining('"nope"'), expect.stringContaining('"ftp://x"')] } });
  });

  it("matches an Origin header exactly, by subdomain wildcard, or by *", () => {
    const allowed = resolveAllowedOrigins(["https://shop.example.com", "https://*.acme.dev", "http://localhost:3000"]);
    for (const origin of ["https://shop.example.com", "https://eu.acme.dev", "https://a.b.acme.dev", "http://localhost:3000"]) expect([origin, isOriginAllowed(origin, allowed)]).toEqual([origin, true]);
    for (const origin of ["http://shop.example.com", "https://shop.example.com:8443", "https://acme.dev", "https://evilacme.dev", "http://localhost:3001", "null", ""]) {
      expect([origin, isOriginAllowed(origin, allowed)]).toEqual([origin, false]);
    }
    expect(isOriginAllowed("https://anything.example", ["*"])).toBe(true);
    expect(isOriginAllowed("https://shop.example.com", [])).toBe(false);
  });

  it("law: an origin is allowed by its own canonical entry, and by a wildcard over any of its parent domains", () => {
    const label = fc.stringMatching(/^[a-z][a-z0-9]{0,8}$/);
    fc.assert(
      fc.property(fc.constantFrom("http", "https"), fc.array(label, { minLength: 2, maxLength: 5 }), (scheme, labels) => {
        const origin = `${scheme}://${labels.join(".")}`;
        expect(isOriginAllowed(origin, resolveAllowedOrigins([origin]))).toBe(true);
        for (let i = 1; i < labels.length; i++) expect(isOriginAllowed(origin, resolveAllowedOrigins([`${scheme}://*.${labels.slice(i).join(".")}`]))).toBe(true);
        expect(isOriginAllowed(origin, resolveAllowedOrigins([`${scheme}://*.${labels.join(".")}`]))).toBe(false);
      }),
    );
  });
});
