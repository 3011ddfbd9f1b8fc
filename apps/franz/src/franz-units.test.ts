import { CodedError } from "@schematizer/errors";
import { describe, expect, it } from "vitest";
import { appTopicSpecs } from "./app-topics.ts";
import { archiveSummaryLine, letterFilter, parseArgs } from "./cli.ts";
import { franzConfigSchema } from "./config.ts";
import { toFranzError } from "./franz-errors.ts";

describe("parseArgs", () => {
  it("separates words from flags, taking values only for flags that have one", () => {
    const parsed = parseArgs(["apps", "create", "acme", "--dialect", "redshift", "--json", "--max-columns=300"]);
    expect(parsed.words).toEqual(["apps", "create", "acme"]);
    expect(Object.fromEntries(parsed.flags)).toEqual({ dialect: "redshift", json: true, "max-columns": "300" });
    expect(parseArgs(["topics", "rebalance", "--dry-run", "extra"]).words).toEqual(["topics", "rebalance", "extra"]);
  });
});

describe("parseArgs for replay", () => {
  it("takes the values of --from, --to, --entype, --evname and --rate", () => {
    const parsed = parseArgs(["replay", "acme", "--from", "2h", "--to=1h", "--entype", "user", "--evname", "login", "--rate", "100", "--dry-run"]);
    expect(parsed.words).toEqual(["replay", "acme"]);
    expect(Object.fromEntries(parsed.flags)).toEqual({ from: "2h", to: "1h", entype: "user", evname: "login", rate: "100", "dry-run": true });
  });
});

describe("archiveSummaryLine", () => {
  it("says the app's archived files and events and the newest received time, or that there is none yet", () => {
    expect(archiveSummaryLine({ files: 12, events: 48000, newestReceivedAt: new Date("2024-05-01T12:00:00Z") })).toBe(
      "raw archive: 12 files, 48000 events, the newest received 2024-05-01T12:00:00.000Z",
    );
    expect(archiveSummaryLine({ files: 0, events: 0, newestReceivedAt: null })).toBe("raw archive: no archive yet");
    expect(archiveSummaryLine(null)).toMatch(/^raw archive: none in this ledger/);
  });
});

describe("letterFilter", () => {
  const now = new Date("2024-05-01T12:00:00Z");
  const filter = (...argv: string[]) => {
    const parsed = parseArgs(["dlq", "redrive", "acme", ...argv]);
    return letterFilter(parsed, parsed.words.slice(3), now);
  };

  it("takes the reason, the time and the ids the operator named", () => {
    expect(filter("--reason", "EVENT_*", "--since", "2h", "--dry-run")).toEqual({ reason: "EVENT_*", since: new Date("2024-05-01T10:00:00Z"), ids: undefined });
    expect(filter("--ids", "e1", "e2", "--dry-run")).toMatchObject({ ids: new Set(["e1", "e2"]) });
    expect(filter("--ids=e1,e2")).toMatchObject({ ids: new Set(["e1", "e2"]) });
  });

  it("refuses what it cannot mean with FRANZ_BAD_REQUEST", () => {
    for (const argv of [["e1"], ["--ids"], ["--reason"], ["--since", "yesterday"]]) {
      expect(() => filter(...argv), argv.join(" ")).toThrow(expect.objectContaining({ code: "FRANZ_BAD_REQUEST" }));
    }
  });
});

describe("toFranzError", () => {
  it("maps the registry's refusals to franz codes and statuses, and hides anything else", () => {
    expect(toFranzError(new CodedError("REGISTRY_APP_EXISTS", "exists"))).toEqual({ code: "FRANZ_APP_EXISTS", status: 409, message: "exists" });
    expect(toFranzError(new CodedError("FRANZ_UNKNOWN_TABLE", "no table"))).toMatchObject({ status: 404 });
    expect(toFranzError(new Error("connection string with a password"))).toEqual({ code: "FRANZ_INTERNAL", status: 500, message: "internal error" });
  });
});

describe("appTopicSpecs", () => {
  it("gives each topic its partitions, replication and retention", () => {
    const config = franzConfigSchema.parse({ FRANZ_ADMIN_TOKEN: "x".repeat(16), TOPIC_PREFIX: "p.", FRANZ_REPLICATION_FACTOR: "3" });
    const specs = appTopicSpecs("acme", config);
    expect(specs.map((s) => [s.kind, s.name, s.partitions, s.replicationFactor])).toEqual([
      ["raw", "p.raw.acme", 3, 3],
      ["sql", "p.sql.acme", 3, 3],
      ["dlq", "p.dlq.acme", 1, 3],
    ]);
    expect(specs[2]!.configs).toMatchObject({ "retention.ms": String(30 * 86_400_000), "min.insync.replicas": "2" });
  });

  it("gives each topic a max.message.bytes for its largest record, from the shared event limit", () => {
    const sizes = (env: Record<string, string>) =>
      appTopicSpecs("acme", franzConfigSchema.parse({ FRANZ_ADMIN_TOKEN: "x".repeat(16), ...env })).map((s) => [s.kind, s.configs["max.message.bytes"]]);
    const overhead = 64 * 1024;
    expect(sizes({})).toEqual([
      ["raw", String(1_048_576 + overhead)],
      ["sql", String(2 * 1_048_576 + overhead)],
      ["dlq", String(1_048_576 + overhead)],
    ]);
    expect(sizes({ EVENT_MAX_BYTES: "4194304" })[0]).toEqual(["raw", String(4_194_304 + overhead)]);
  });

  it("refuses a short admin token at start", () => {
    expect(() => franzConfigSchema.parse({ FRANZ_ADMIN_TOKEN: "short" })).toThrow(/at least 16/);
  });
});
