/**
 * Web origins an app accepts events from: browsers send an `Origin` header with every request a
 * page makes, and a write key shipped in a page is public, so the origins it may be used from are
 * the app's own setting. Pure.
 *
 * An entry is an origin (`https://shop.example.com`, `http://localhost:3000`), a wildcard over the
 * subdomains of a host (`https://*.example.com`: any depth, not the host itself), or `*` (any
 * origin). Entries are kept in their canonical form (lower case, default port dropped), so that
 * matching is a comparison of strings.
 */
import { registryError } from "./registry-errors.ts";

/** Most entries one app may list. */
export const MAX_ALLOWED_ORIGINS = 100;
const MAX_ORIGIN_LENGTH = 255;
const DEFAULT_PORTS: Record<string, string> = { "http:": "80", "https:": "443" };
const HOST_LABELS = /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;

/**
 * The canonical form of one allowed-origin entry, or undefined when it is not one.
 *
 * @example
 * ```ts
 * canonicalOrigin("HTTPS://Shop.Example.com:443"); // "https://shop.example.com"
 * canonicalOrigin("https://*.example.com");        // "https://*.example.com"
 * canonicalOrigin("https://shop.example.com/cart"); // undefined (a path is not part of an origin)
 * ```
 */
export function canonicalOrigin(entry: string): string | undefined {
  const text = entry.trim();
  if (text === "*") return "*";
  if (text.length === 0 || text.length > MAX_ORIGIN_LENGTH) return undefined;
  const match = /^(https?):\/\/(\*\.)?([^/:?#]+)(?::(\d{1,5}))?\/?$/i.exec(text);
  if (!match) return undefined;
  const [, scheme, wildcard, rawHost, port] = match as unknown as [string, string, string | undefined, string, string | undefined];
  const host = rawHost.toLowerCase();
  // IPv6 literals and internationalised names arrive in their ASCII forms only (as browsers send them).
  if (!HOST_LABELS.test(host)) return undefined;
  if (port !== undefined && (Number(port) < 1 || Number(port) > 65535)) return undefined;
  const protocol = `${scheme.toLowerCase()}:`;
  const portPart = port === undefined || DEFAULT_PORTS[protocol] === String(Number(port)) ? "" : `:${Number(port)}`;
  return `${protocol}//${wildcard ? "*." : ""}${host}${portPart}`;
}

/**
 * Checks and canonicalises an app's allowed origins, listing every bad entry at once; the result
 * has no duplicates and keeps the given order.
 *
 * @example
 * ```ts
 * resolveAllowedOrigins(["https://shop.example.com", "HTTPS://shop.example.com"]); // ["https://shop.example.com"]
 * resolveAllowedOrigins(["ftp://x"]); // throws REGISTRY_INVALID_SETTINGS
 * ```
 */
export function resolveAllowedOrigins(entries: readonly string[]): string[] {
  const problems: string[] = [];
  const origins: string[] = [];
  for (const entry of entries) {
    const origin = canonicalOrigin(entry);
    if (origin === undefined) problems.push(`${JSON.stringify(entry)} is not an origin such as https://shop.example.com, https://*.example.com or *`);
    else if (!origins.includes(origin)) origins.push(origin);
  }
  if (origins.length > MAX_ALLOWED_ORIGINS) problems.push(`at most ${MAX_ALLOWED_ORIGINS} origins, got ${origins.length}`);
  if (problems.length > 0) {
    throw registryError("REGISTRY_INVALID_SETTINGS", `invalid allowed origins: ${problems.join("; ")}`, { problems });
  }
  return origins;
}

/**
 * Whether a request's `Origin` header is one of `allowed` (canonical entries, as stored).
 *
 * @example
 * ```ts
 * isOriginAllowed("https://eu.shop.example.com", ["https://*.example.com"]); // true
 * isOriginAllowed("https://example.com", ["https://*.example.com"]);         // false
 * isOriginAllowed("null", ["*"]);                                            // true
 * ```
 */
export function isOriginAllowed(origin: string, allowed: readonly string[]): boolean {
  if (allowed.length === 0) return false;
  if (allowed.includes("*")) return true;
  const canonical = canonicalOrigin(origin);
  if (canonical === undefined || canonical.includes("*")) return false;
  if (allowed.includes(canonical)) return true;
  const schemeEnd = canonical.indexOf("//") + 2;
  const scheme = canonical.slice(0, schemeEnd);
  const hostAndPort = canonical.slice(schemeEnd);
  // Each suffix after a dot, with the scheme and port unchanged: a.b.example.com → *.b.example.com, *.example.com, *.com.
  for (let dot = hostAndPort.indexOf("."); dot >= 0; dot = hostAndPort.indexOf(".", dot + 1)) {
    if (allowed.includes(`${scheme}*${hostAndPort.slice(dot)}`)) return true;
  }
  return false;
}
