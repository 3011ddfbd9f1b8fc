import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DEFAULT_LIMITS, parseEvent, parseJson, parseTimestamp, type JsonObject, type JsonValue } from "@schematizer/schema";
import { toNativeEvent, type RequestParts, type TrackingCall } from "./tracking-message.ts";
import { eventTime } from "./tracking-time.ts";

const micros = (iso: string) => parseTimestamp(iso) as number;
const KEY = "szk_acme";
const REQUEST: RequestParts = { writeKey: KEY, receivedAt: micros("2024-05-01T12:00:05Z") };

/** The native event a message becomes, parsed back as the sqlizer will. */
function mapped(message: JsonValue, call?: TrackingCall, request: RequestParts = REQUEST) {
  const result = toNativeEvent(message, call, request, DEFAULT_LIMITS);
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  const event = parseEvent(result.value.text);
  if (!event.ok) throw new Error(JSON.stringify(event.errors));
  return { ...result.value, event: event.value };
}

function problems(message: JsonValue, call?: TrackingCall, request: RequestParts = REQUEST) {
  const result = toNativeEvent(message, call, request, DEFAULT_LIMITS);
  return result.ok ? [] : result.errors.map((e) => [e.code, e.path]);
}

describe("the README's worked example: a track of Order Completed", () => {
  it("becomes a native event of user/Order Completed: properties at the top, the other fields beside them", () => {
    const message = {
      type: "track",
      event: "Order Completed",
      userId: "u1",
      anonymousId: "a1",
      messageId: "m-1",
      properties: { order_id: "o1", total: 30.5, items: 2 },
      context: { ip: "8.8.8.8", library: { name: "analytics.js", version: "1.84.3" } },
      integrations: { All: true },
      timestamp: "2024-05-01T13:00:00.000Z",
      sentAt: "2024-05-01T13:00:05.000Z",
      writeKey: KEY,
      _metadata: { bundled: ["Segment.io"] },
      version: 2,
    };
    const { text, id, enid } = mapped(message);
    expect({ id, enid }).toEqual({ id: "m-1", enid: "u1" });
    // The device clock is 1 h fast: its sentAt is 13:00:05, the sink received it at 12:00:05.
    expect(JSON.parse(text)).toEqual({
      id: "m-1",
      ts: "2024-05-01T12:00:00.000Z",
      entype: "user",
      evname: "Order Completed",
      enid: "u1",
      body: {
        order_id: "o1",
        total: 30.5,
        items: 2,
        userId: "u1",
        anonymousId: "a1",
        context: { ip: "8.8.8.8", library: { name: "analytics.js", version: "1.84.3" } },
        timestamp: "2024-05-01T13:00:00.000Z",
        sentAt: "2024-05-01T13:00:05.000Z",
      },
    });
  });

  it("keeps integers beyond 2^53 and every number's exact value", () => {
    const parsed = parseJson('{"type":"track","event":"Paid","userId":"u1","properties":{"cents":123456789012345678901,"rate":0.1}}');
    if (!parsed.ok) throw new Error("bad test input");
    const { text } = mapped(parsed.value);
    expect(text).toContain('"cents":123456789012345678901');
    expect(text).toContain('"rate":0.1');
  });
});

describe("each call has its table and its fields", () => {
  const cases: [string, JsonObject, { evname: string; enid: string; body: JsonObject }][] = [
    [
      "identify: traits keep their prefix (traits__email), for the dimension load",
      { type: "identify", userId: "u1", traits: { email: "p@initech.com", logins: 5 } },
      { evname: "identifies", enid: "u1", body: { userId: "u1", traits: { email: "p@initech.com", logins: 5 } } },
    ],
    [
      "page: name and category, properties at the top",
      { type: "page", anonymousId: "a1", name: "Home", category: "Landing", properties: { path: "/", url: "https://x/" } },
      { evname: "pages", enid: "a1", body: { path: "/", url: "https://x/", anonymousId: "a1", name: "Home", category: "Landing" } },
    ],
    [
      "screen",
      { type: "screen", userId: "u1", name: "Settings", properties: { section: "privacy" } },
      { evname: "screens", enid: "u1", body: { section: "privacy", userId: "u1", name: "Settings" } },
    ],
    [
      "group: the groupId and the group's traits",
      { type: "group", userId: "u1", groupId: "g1", traits: { name: "Initech", employees: 420 } },
      { evname: "groups", enid: "u1", body: { userId: "u1", groupId: "g1", traits: { name: "Initech", employees: 420 } } },
    ],
    [
      "alias: the entity is the userId the previousId becomes",
      { type: "alias", userId: "u1", previousId: "a1" },
      { evname: "aliases", enid: "u1", body: { userId: "u1", previousId: "a1" } },
    ],
    [
      "track by an anonymous user: the anonymousId is the entity",
      { type: "track", event: "Signed Up", anonymousId: "a1", userId: null, properties: {} },
      { evname: "Signed Up", enid: "a1", body: { anonymousId: "a1" } },
    ],
    [
      "a numeric userId is an id like any other",
      { type: "track", event: "Signed Up", userId: 42 },
      { evname: "Signed Up", enid: "42", body: { userId: 42 } },
    ],
  ];
  it.each(cases)("%s", (_name, message, expected) => {
    const { event } = mapped(message);
    expect({ entype: event.entype, evname: event.evname, enid: event.enid, body: event.body }).toEqual({ entype: "user", ...expected });
  });

  it("takes its type from the route when there is one", () => {
    expect(mapped({ event: "Signed Up", userId: "u1" }, "track").event.evname).toBe("Signed Up");
    expect(mapped({ userId: "u1", type: "track" }, "identify").event.evname).toBe("identifies");
  });

  it("a property named like one of the message's own fields goes under properties, rather than collide", () => {
    const { event } = mapped({ type: "page", userId: "u1", name: "Home", properties: { name: "Home", user_id: "other", context: "x", path: "/" } });
    expect(event.body).toEqual({ path: "/", userId: "u1", name: "Home", properties: { name: "Home", user_id: "other", context: "x" } });
  });

  it("a property named like a field outside the spec that the message has goes under properties too", () => {
    const { event } = mapped({ type: "track", event: "A", userId: "u1", name: "top", email: "e@x", properties: { name: "prop", email: "p@x", plan: "pro" } });
    expect(event.body).toEqual({ plan: "pro", userId: "u1", name: "top", email: "e@x", properties: { name: "prop", email: "p@x" } });
  });

  it("merges a batch's context under the message's own", () => {
    const request = { ...REQUEST, context: { ip: "1.2.3.4", locale: "en-US" } };
    expect(mapped({ type: "track", event: "A", userId: "u1", context: { locale: "fr-FR" } }, undefined, request).event.body.context).toEqual({ ip: "1.2.3.4", locale: "fr-FR" });
    expect(mapped({ type: "track", event: "A", userId: "u1" }, undefined, request).event.body.context).toEqual({ ip: "1.2.3.4", locale: "en-US" });
  });

  it("lets a message choose another entity type and id through integrations.schematizer, or its batch choose for all", () => {
    const own = mapped({ type: "track", event: "Invoice Paid", userId: "u1", integrations: { schematizer: { entype: "account", enid: "acc-9" } } });
    expect([own.event.entype, own.event.enid, own.event.body.integrations]).toEqual(["account", "acc-9", undefined]);
    const batch = mapped({ type: "track", event: "Invoice Paid", userId: "u1" }, undefined, { ...REQUEST, integrations: { schematizer: { entype: "account" } } });
    expect([batch.event.entype, batch.event.enid]).toEqual(["account", "u1"]);
  });

  it("has no id when the message has no messageId (the route gives it one)", () => {
    expect(mapped({ type: "track", event: "A", userId: "u1" }).id).toBeUndefined();
  });
});

describe("nothing is lost", () => {
  it("law: every property and every kept field of a message is in its body, once, with its value", () => {
    const key = fc.oneof(fc.constantFrom("name", "userId", "user_id", "context", "properties", "email", "sentAt", "Total", "total"), fc.string({ maxLength: 6 }));
    const value = fc.oneof(fc.string({ maxLength: 4 }), fc.integer(), fc.boolean());
    fc.assert(
      fc.property(fc.constantFrom("track", "page", "screen"), fc.dictionary(key, value, { maxKeys: 6 }), fc.dictionary(key, value, { maxKeys: 3 }), (type, properties, extra) => {
        const fields = Object.fromEntries(Object.entries(extra).filter(([k]) => !["userId", "context", "properties", "sentAt", "name", "__proto__"].includes(k)));
        const message = { ...fields, type, event: "A", name: "N", userId: "u1", properties };
        const { event } = mapped(message);
        const aside = (event.body.properties ?? {}) as JsonObject;
        for (const [k, v] of Object.entries(properties)) {
          if (k === "__proto__") continue;
          const top = Object.hasOwn(event.body, k) && event.body[k] === v && !Object.hasOwn(fields, k) && k !== "userId" && !(type !== "track" && k === "name");
          expect([k, top || aside[k] === v]).toEqual([k, true]);
        }
        for (const [k, v] of Object.entries(fields)) expect([k, event.body[k]]).toEqual([k, v]);
        expect(event.body.userId).toBe("u1");
      }),
    );
  });
});

describe("event time, by Segment's rule", () => {
  it("is the receive time without any client reading", () => {
    expect(mapped({ type: "track", event: "A", userId: "u1" }).event.ts).toBe(REQUEST.receivedAt);
  });

  it("takes timestamp, else originalTimestamp, as sent when there is no sentAt", () => {
    expect(mapped({ type: "track", event: "A", userId: "u1", timestamp: "2020-01-01T00:00:00Z", originalTimestamp: "2021-01-01T00:00:00Z" }).event.ts).toBe(micros("2020-01-01T00:00:00Z"));
    expect(mapped({ type: "track", event: "A", userId: "u1", originalTimestamp: "2021-01-01T00:00:00Z" }).event.ts).toBe(micros("2021-01-01T00:00:00Z"));
  });

  it("corrects by the batch's sentAt when the message has none", () => {
    const request = { ...REQUEST, sentAt: micros("2024-05-01T12:00:15Z") };
    expect(mapped({ type: "track", event: "A", userId: "u1", timestamp: "2024-05-01T12:00:10Z" }, undefined, request).event.ts).toBe(micros("2024-05-01T12:00:00Z"));
  });

  it("law: the corrected time keeps the interval between the event and its sending, whatever the client's clock", () => {
    const instant = fc.integer({ min: micros("1990-01-01T00:00:00Z"), max: micros("2090-01-01T00:00:00Z") });
    fc.assert(
      fc.property(instant, fc.integer({ min: 0, max: 86_400_000_000 }), fc.integer({ min: -86_400_000_000 * 400, max: 86_400_000_000 * 400 }), (received, beforeSending, skew) => {
        const sentAt = received + skew;
        const timestamp = sentAt - beforeSending;
        expect(eventTime({ timestamp, sentAt }, received)).toBe(received - beforeSending);
      }),
    );
  });

  it("keeps microseconds through the correction", () => {
    const request = { ...REQUEST, sentAt: micros("2024-05-01T12:00:15Z") };
    const { text } = mapped({ type: "track", event: "A", userId: "u1", timestamp: "2024-05-01T12:00:10.123456Z" }, undefined, request);
    expect(JSON.parse(text).ts).toBe("2024-05-01T12:00:00.123456Z");
  });

  it("stays exact beyond 2^53 microseconds (years after 2255)", () => {
    expect(eventTime({ timestamp: 9_000_000_000_000_000n, sentAt: 9_000_000_000_000_010n }, 9_000_000_000_000_000)).toBe(8_999_999_999_999_990);
  });
});

describe("malformed messages, each with its coded problem", () => {
  const cases: [string, JsonValue, TrackingCall | undefined, [string, string][]][] = [
    ["not an object", [1, 2], undefined, [["TRACKING_NOT_OBJECT", "$"]]],
    ["a batch message without a type", { userId: "u1" }, undefined, [["TRACKING_TYPE_INVALID", "$.type"]]],
    ["an unknown type", { type: "purchase", userId: "u1" }, undefined, [["TRACKING_TYPE_INVALID", "$.type"]]],
    ["no userId or anonymousId (Segment: no_user_anon_id)", { event: "A", userId: "", anonymousId: null }, "track", [["TRACKING_ID_REQUIRED", "$"]]],
    ["an id that is an object", { event: "A", userId: { id: 1 } }, "track", [["TRACKING_ID_FORMAT", "$.userId"]]],
    ["an id longer than 256 bytes", { event: "A", anonymousId: "x".repeat(257) }, "track", [["TRACKING_ID_FORMAT", "$.anonymousId"]]],
    ["a track without an event (event_not_defined)", { userId: "u1" }, "track", [["TRACKING_EVENT_REQUIRED", "$.event"]]],
    ["an event that is not a string (event_not_string)", { userId: "u1", event: 7 }, "track", [["TRACKING_EVENT_FORMAT", "$.event"]]],
    ["an event with a control character", { userId: "u1", event: "Order\u0000Completed" }, "track", [["TRACKING_EVENT_FORMAT", "$.event"]]],
    ["properties that are not an object (properties_not_object)", { userId: "u1", event: "A", properties: [1] }, "track", [["TRACKING_FIELD_TYPE", "$.properties"]]],
    ["traits that are not an object (traits_not_object)", { userId: "u1", traits: "vip" }, "identify", [["TRACKING_FIELD_TYPE", "$.traits"]]],
    ["context that is not an object", { userId: "u1", context: "web" }, "identify", [["TRACKING_FIELD_TYPE", "$.context"]]],
    ["integrations that are not an object", { userId: "u1", integrations: true }, "identify", [["TRACKING_FIELD_TYPE", "$.integrations"]]],
    ["a page name that is not a string (name_not_string)", { userId: "u1", name: 5 }, "page", [["TRACKING_FIELD_TYPE", "$.name"]]],
    ["a screen category that is not a string (category_not_string)", { userId: "u1", category: {} }, "screen", [["TRACKING_FIELD_TYPE", "$.category"]]],
    ["a group without groupId", { userId: "u1", traits: {} }, "group", [["TRACKING_GROUP_ID_REQUIRED", "$.groupId"]]],
    ["an alias without previousId", { userId: "u1" }, "alias", [["TRACKING_PREVIOUS_ID_REQUIRED", "$.previousId"]]],
    ["an alias without userId", { previousId: "a1", anonymousId: "a1" }, "alias", [["TRACKING_USER_ID_REQUIRED", "$.userId"]]],
    ["a timestamp that is not RFC 3339", { userId: "u1", timestamp: "yesterday" }, "identify", [["TRACKING_TIMESTAMP_FORMAT", "$.timestamp"]]],
    ["a sentAt in epoch milliseconds", { userId: "u1", sentAt: 1714564800000 }, "identify", [["TRACKING_TIMESTAMP_FORMAT", "$.sentAt"]]],
    ["a time corrected beyond year 9999", { userId: "u1", timestamp: "9999-12-31T23:59:59Z", sentAt: "2000-01-01T00:00:00Z" }, "identify", [["TRACKING_TIMESTAMP_RANGE", "$.timestamp"]]],
    ["an empty messageId", { userId: "u1", messageId: "" }, "identify", [["TRACKING_MESSAGE_ID_FORMAT", "$.messageId"]]],
    ["a numeric messageId", { userId: "u1", messageId: 12 }, "identify", [["TRACKING_MESSAGE_ID_FORMAT", "$.messageId"]]],
    ["another app's writeKey", { userId: "u1", writeKey: "szk_globex" }, "identify", [["TRACKING_WRITE_KEY_MISMATCH", "$.writeKey"]]],
    ["an entity type that is not a name", { userId: "u1", integrations: { schematizer: { entype: " account" } } }, "identify", [["TRACKING_ENTITY_FORMAT", "$.integrations.schematizer.entype"]]],
    ["properties nested deeper than the shared limit", { userId: "u1", event: "A", properties: { a: nest(40) } }, "track", [["EVENT_TOO_DEEP", "$.properties.a" + ".x".repeat(31)]]],
    ["every problem of a message at once", { event: 1, properties: 2 }, "track", [["TRACKING_EVENT_FORMAT", "$.event"], ["TRACKING_ID_REQUIRED", "$"], ["TRACKING_FIELD_TYPE", "$.properties"]]],
  ];
  it.each(cases)("%s", (_name, message, call, expected) => {
    expect(problems(message, call)).toEqual(expected);
  });

  it("refuses a message whose stored event would exceed the event size limit", () => {
    const result = toNativeEvent({ type: "track", event: "A", userId: "u1", properties: { text: "x".repeat(2000) } }, undefined, REQUEST, { ...DEFAULT_LIMITS, maxEventBytes: 1024 });
    expect(result.ok ? [] : result.errors.map((e) => e.code)).toEqual(["EVENT_TOO_LARGE"]);
  });
});

function nest(depth: number): JsonObject {
  let value: JsonObject = {};
  for (let i = 0; i < depth; i++) value = { x: value };
  return value;
}
