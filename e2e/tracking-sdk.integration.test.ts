/**
 * Segment's own Node SDK, pointed at a real event-sink by its `host` setting, against the whole
 * pipeline: every call type lands in its table with typed columns, and the SDK's retries after a
 * lost answer leave one row per messageId.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { Analytics } from "@segment/analytics-node";
import { describe, expect } from "vitest";
import { waitFor } from "@schematizer/errors";
import { test } from "@schematizer/testing";
import { startPipeline, type Pipeline } from "./pipeline-kit.ts";

interface SentMessage {
  type: string;
  messageId: string;
  event?: string;
}

/** An SDK client that remembers every error it reports and every message it sends. */
function sdk(writeKey: string, host: string) {
  const analytics = new Analytics({ writeKey, host, flushAt: 50, flushInterval: 200, maxRetries: 5, httpRequestTimeout: 5_000 });
  const errors: unknown[] = [];
  const sent: SentMessage[] = [];
  const requests: { retry?: string }[] = [];
  analytics.on("error", (error) => errors.push(error));
  analytics.on("http_request", (request) => {
    requests.push({ retry: (request.headers as Record<string, string>)["X-Retry-Count"] });
    for (const message of (JSON.parse(request.body) as { batch: SentMessage[] }).batch) sent.push(message);
  });
  return { analytics, errors, sent, requests };
}

const table = (p: Pipeline, name: string) => `${p.schemaOf("acme")}.${name}`;

describe("Segment's Node SDK against the tracking API", () => {
  test("every call type lands in its table, typed, beside native events of the same name", async ({ kafka, db, bucket, endpoints }) => {
    const pipeline = await startPipeline({ kafka, db, bucket, endpoints });
    try {
      const key = pipeline.createApp("acme");
      const { analytics, errors, sent } = sdk(key, pipeline.sinkUrl);
      analytics.identify({ userId: "u1", traits: { email: "peter@initech.com", plan: "pro", logins: 5, signed_up: "2024-01-02T03:04:05.000Z" } });
      analytics.track({ userId: "u1", event: "Order Completed", properties: { order_id: "o1", total: 30.5, items: 2, paid: true }, context: { ip: "8.8.8.8" } });
      analytics.track({ userId: "u1", event: "Order Completed", properties: { order_id: "o0", total: 12, items: 1, paid: false }, timestamp: new Date("2020-01-01T00:00:00Z") });
      analytics.page({ anonymousId: "a1", name: "Home", category: "Landing", properties: { path: "/", url: "https://shop.example.com/" } });
      analytics.screen({ userId: "u1", name: "Settings", properties: { section: "privacy" } });
      analytics.group({ userId: "u1", groupId: "g1", traits: { name: "Initech", employees: 420 } });
      analytics.alias({ userId: "u1", previousId: "a1" });
      await analytics.closeAndFlush({ timeout: 30_000 });
      expect(errors).toEqual([]);
      expect(sent.map((m) => m.type).sort()).toEqual(["alias", "group", "identify", "page", "screen", "track", "track"]);
      const idOf = (type: string) => sent.filter((m) => m.type === type).map((m) => m.messageId);

      // A native event of the same name by a user: the same table.
      expect((await pipeline.send("acme", key, [{ id: "n1", ts: "2024-05-01T12:00:00Z", entype: "user", evname: "Order Completed", enid: "u2", body: { order_id: "o2", total: 7.25, items: 3 } }])).status).toBe(202);

      const orders = await pipeline.rows("acme", "_e_user__order_completed", 3);
      expect(orders.map((r) => r._sz_id).sort()).toEqual([...idOf("track"), "n1"].sort());
      const [historical] = orders.filter((r) => r.order_id === "o0");
      const [recent] = orders.filter((r) => r.order_id === "o1");
      expect(recent).toMatchObject({ _sz_enid: "u1", user_id: "u1", total: 30.5, items: "2", paid: true, context__ip: "8.8.8.8", context__library__name: "@segment/analytics-node" });
      // Event time: the call's own timestamp, moved only by the (tiny) skew measured from sentAt.
      expect(Math.abs((historical!._sz_ts as Date).getTime() - Date.parse("2020-01-01T00:00:00Z"))).toBeLessThan(60_000);
      expect(Math.abs((recent!._sz_ts as Date).getTime() - Date.now())).toBeLessThan(300_000);
      expect(orders.find((r) => r._sz_id === "n1")).toMatchObject({ _sz_enid: "u2", total: 7.25, items: "3", user_id: null });
      expect(await pipeline.columns("acme", "_e_user__order_completed")).toEqual(
        expect.arrayContaining([
          ["order_id", "text"], ["total", "double precision"], ["items", "bigint"], ["paid", "boolean"], ["user_id", "text"],
          ["context__ip", "text"], ["context__library__name", "text"], ["context__library__version", "text"], ["timestamp", "timestamp with time zone"],
        ]),
      );

      const [identify] = await pipeline.rows("acme", "_e_user__identifies", 1);
      expect(identify).toMatchObject({ _sz_id: idOf("identify")[0], _sz_enid: "u1", user_id: "u1", traits__email: "peter@initech.com", traits__plan: "pro", traits__logins: "5" });
      expect(await pipeline.columns("acme", "_e_user__identifies")).toEqual(expect.arrayContaining([["traits__logins", "bigint"], ["traits__signed_up", "timestamp with time zone"]]));
      const [page] = await pipeline.rows("acme", "_e_user__pages", 1);
      expect(page).toMatchObject({ _sz_id: idOf("page")[0], _sz_enid: "a1", anonymous_id: "a1", name: "Home", category: "Landing", path: "/", url: "https://shop.example.com/" });
      const [screen] = await pipeline.rows("acme", "_e_user__screens", 1);
      expect(screen).toMatchObject({ _sz_id: idOf("screen")[0], _sz_enid: "u1", name: "Settings", section: "privacy" });
      const [group] = await pipeline.rows("acme", "_e_user__groups", 1);
      expect(group).toMatchObject({ _sz_id: idOf("group")[0], _sz_enid: "u1", group_id: "g1", traits__name: "Initech", traits__employees: "420" });
      const [alias] = await pipeline.rows("acme", "_e_user__aliases", 1);
      expect(alias).toMatchObject({ _sz_id: idOf("alias")[0], _sz_enid: "u1", user_id: "u1", previous_id: "a1" });
    } finally {
      await pipeline.stop();
    }
  }, 240_000);

  test("the SDK's retries after a lost answer leave one row per messageId", async ({ kafka, db, bucket, endpoints }) => {
    const pipeline = await startPipeline({ kafka, db, bucket, endpoints });
    // In front of the sink: the first request reaches it and is stored, but its answer is lost.
    let requests = 0;
    const proxy = http.createServer((incoming, outgoing) => {
      const dropAnswer = ++requests === 1;
      const chunks: Buffer[] = [];
      incoming.on("data", (chunk: Buffer) => chunks.push(chunk));
      incoming.on("end", () => {
        const forwarded = http.request(`${pipeline.sinkUrl}${incoming.url}`, { method: incoming.method, headers: incoming.headers }, (answer) => {
          const body: Buffer[] = [];
          answer.on("data", (chunk: Buffer) => body.push(chunk));
          answer.on("end", () => {
            if (dropAnswer) outgoing.socket?.destroy();
            else outgoing.writeHead(answer.statusCode ?? 502, answer.headers).end(Buffer.concat(body));
          });
        });
        forwarded.end(Buffer.concat(chunks));
      });
    });
    await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
    try {
      const key = pipeline.createApp("acme");
      const { analytics, errors, sent, requests: attempts } = sdk(key, `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`);
      // One user, one event name: one raw partition and one table, so the marker below is loaded after every copy.
      for (let i = 0; i < 20; i++) analytics.track({ userId: "u1", event: "Order Completed", properties: { n: i } });
      await analytics.closeAndFlush({ timeout: 60_000 });
      expect(errors).toEqual([]);
      expect(requests).toBe(2);
      expect(attempts.map((a) => a.retry)).toEqual([undefined, "1"]);
      const ids = [...new Set(sent.map((m) => m.messageId))];
      expect(ids).toHaveLength(20);

      const marker = sdk(key, pipeline.sinkUrl);
      marker.analytics.track({ userId: "u1", event: "Order Completed", properties: { n: 999 } });
      await marker.analytics.closeAndFlush({ timeout: 30_000 });
      const orders = table(pipeline, "_e_user__order_completed");
      await waitFor("the marker row", async () => {
        const { rows } = await pipeline.warehouse.query(`SELECT 1 FROM ${orders} WHERE n = 999`).catch(() => ({ rows: [] }));
        return rows.length > 0 ? true : undefined;
      }, { timeoutMs: 120_000, intervalMs: 200 });
      const { rows } = await pipeline.warehouse.query<{ _sz_id: string; n: string }>(`SELECT _sz_id, n FROM ${orders}`);
      expect(rows).toHaveLength(21);
      expect(new Set(rows.map((r) => r._sz_id)).size).toBe(21);
      expect(rows.filter((r) => r.n !== "999").map((r) => r._sz_id).sort()).toEqual(ids.sort());
    } finally {
      proxy.close();
      await pipeline.stop();
    }
  }, 240_000);
});
