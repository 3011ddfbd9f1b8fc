/**
 * CORS for the tracking API. Browser SDKs post from the customer's pages, with the write key in
 * the body or an Authorization header, so every origin gets its preflight answered and may read
 * the answers: the app's allowed origins are enforced on the POST itself, where the key says which
 * app it is (a preflight carries no key), by refusing to store anything (403 SINK_ORIGIN_DENIED)
 * — an answer the page can read, so its SDK stops retrying.
 */

/** How long a browser may reuse a preflight's answer (Chromium caps it at 2 hours). */
const PREFLIGHT_MAX_AGE_SECONDS = "7200";
/** A header list as browsers send it in Access-Control-Request-Headers. */
const HEADER_LIST = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+(?:\s*,\s*[A-Za-z0-9!#$%&'*+.^_`|~-]+)*$/;
const DEFAULT_ALLOWED_HEADERS = "authorization, content-type, content-encoding, idempotency-key, x-retry-count";

/**
 * Headers that let the page at `origin` read an answer; none for a request without an Origin.
 *
 * @example
 * answerHeaders("https://shop.example.com"); // { "access-control-allow-origin": "https://shop.example.com", vary: "Origin" }
 */
export function answerHeaders(origin: string | undefined): Record<string, string> {
  if (origin === undefined) return {};
  return { "access-control-allow-origin": origin, vary: "Origin" };
}

/**
 * The answer to a preflight (OPTIONS) from `origin`: POST with the headers the page asks for
 * (any well-formed list), cached by the browser for two hours.
 *
 * @example
 * preflightHeaders("https://shop.example.com", "authorization,content-type");
 * // { "access-control-allow-origin": "https://shop.example.com", "access-control-allow-methods": "POST",
 * //   "access-control-allow-headers": "authorization,content-type", "access-control-max-age": "7200", vary: "Origin, …" }
 */
export function preflightHeaders(origin: string | undefined, requestedHeaders: string | undefined): Record<string, string> {
  if (origin === undefined) return {};
  const asked = requestedHeaders?.trim();
  return {
    "access-control-allow-origin": origin,
    "access-control-allow-methods": "POST",
    "access-control-allow-headers": asked !== undefined && HEADER_LIST.test(asked) ? asked : DEFAULT_ALLOWED_HEADERS,
    "access-control-max-age": PREFLIGHT_MAX_AGE_SECONDS,
    vary: "Origin, Access-Control-Request-Headers",
  };
}
