/**
 * The Segment `track` messages bench:sink sends to the tracking API, of the size an SDK sends
 * (~600 bytes: properties, the library's context, a browser's user agent), and the same
 * information as native events, for the comparison in the same run. The same for a given number
 * on every run.
 */

const USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36";

/** Track message number `n` with its messageId, as an SDK's batch holds it. */
export function sampleTrack(n: number, messageId: string): Record<string, unknown> {
  return {
    type: "track",
    event: n % 3 === 0 ? "Order Completed" : n % 3 === 1 ? "Product Viewed" : "Checkout Started",
    userId: `user-${n % 997}`,
    anonymousId: `anon-${(n * 7919) % 100_003}`,
    messageId,
    timestamp: new Date(Date.UTC(2024, 4, 1, 12, 0, 0) + n).toISOString(),
    properties: {
      order_id: `o-${n}`,
      product_id: `p-${n % 211}`,
      total: (n % 10_000) / 100,
      quantity: 1 + (n % 5),
      currency: "EUR",
      coupon: n % 4 === 0 ? "SPRING" : null,
      in_stock: n % 2 === 0,
    },
    context: {
      library: { name: "@segment/analytics-node", version: "3.1.0" },
      ip: `203.0.113.${n % 250}`,
      locale: "en-US",
      userAgent: USER_AGENT,
      page: { path: `/p/${n % 40}`, url: `https://shop.example.com/p/${n % 40}` },
    },
    integrations: {},
    _metadata: { nodeVersion: "20.20.2", jsRuntime: "node" },
  };
}

/** The native event holding what track number `n` holds (as the tracking API stores it). */
export function nativeOfTrack(track: Record<string, unknown>): string {
  const { event, userId, anonymousId, messageId, timestamp, properties, context } = track;
  return JSON.stringify({
    id: messageId,
    ts: timestamp,
    entype: "user",
    evname: event,
    enid: userId,
    body: { ...(properties as object), userId, anonymousId, context, timestamp },
  });
}
