/**
 * The events the throughput benchmarks send: the Appuri example's shape and three more kinds,
 * nested bodies and arrays, ~140 bytes of JSON each, the same for a given number on every run.
 * No dependencies, so a benchmark's child process can load it next to the one client it measures.
 */

const KINDS = ["pass_mission", "login", "purchase", "view"] as const;

/** The JSON text of event number `n`, with the given id. */
export function sampleEvent(n: number, id: string): string {
  const kind = n % 4;
  const body =
    kind === 0
      ? { level: n % 50, mission_name: `m${n % 17}`, is_premium: n % 3 === 0 }
      : kind === 1
        ? { device: { os: n % 2 ? "ios" : "android", version: `${n % 12}.0` }, session: n }
        : kind === 2
          ? { amount: (n % 1000) / 10, currency: "EUR", items: [n % 5, n % 7] }
          : { page: `/p/${n % 40}`, ms: n % 900 };
  return JSON.stringify({ id, ts: "2015-01-01T00:31:32Z", entype: "user", evname: KINDS[kind], enid: sampleEntity(n), body });
}

/** The entity (and Kafka key) of event number `n`. */
export function sampleEntity(n: number): string {
  return `u${n % 997}`;
}
