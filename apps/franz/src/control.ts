import type { Admin } from "@schematizer/kafka";
import type { AppInfo, AppSettings, Lineage, Registry } from "@schematizer/registry";
import type pg from "pg";
import { appTopicSpecs, MAX_MESSAGE_BYTES, type TopicKind } from "./app-topics.ts";
import { ledgerSummary, type LedgerSummary } from "./batcher-ledger.ts";
import type { FranzConfig } from "./config.ts";
import type { LetterFilter } from "./dead-letters.ts";
import { countDeadLetters, listDeadLetters, redriveDeadLetters, type DlqDeps } from "./dlq-operations.ts";
import { franzError } from "./franz-errors.ts";

export interface TopicView {
  name: string;
  kind: TopicKind;
  partitions: number;
  /** Messages ever written (sum of partition end offsets). */
  messages: number;
  retentionMs: number | undefined;
  /** Messages per second over the autoscaler's last window, when it has one. */
  ratePerSecond: number | undefined;
}

export interface ConsumerView {
  group: string;
  topic: string;
  /** Messages not yet processed by the group. */
  lag: number;
  members: number;
}

export interface TableView {
  name: string;
  entype: string;
  evname: string;
  subject: string;
  version: number;
  columns: number;
}

/** What an app's events are held back by, waiting for an operator. */
export interface RecoveryView {
  /** Letters in dlq.<app>, by reason. */
  deadLetters: { total: number; byReason: Record<string, number> };
  /** Rows set aside and files parked by the batcher; `null` when there is no ledger (BATCHER_SCHEMA). */
  ledger: LedgerSummary | null;
}

export interface AppDescription extends AppInfo {
  topics: TopicView[];
  consumers: ConsumerView[];
  tables: TableView[];
  /** Present where franz was given the means to read them (the CLI and the server). */
  recovery?: RecoveryView;
}

/** What a repair did to an app's topics. */
export interface TopicRepair {
  topicsCreated: string[];
  /** Topics whose max.message.bytes was raised to what the event limit needs. */
  topicsResized: string[];
}

export interface ControlDeps {
  registry: Registry;
  admin: Admin;
  config: FranzConfig;
  /** Latest measured rate per topic, from the autoscaler (messages/s). */
  rates?: () => ReadonlyMap<string, number>;
  /** Kafka to read and redrive dead letters, and the control database holding the batcher's ledger. */
  recovery?: { dlq: DlqDeps; pool: pg.Pool };
}

/**
 * franz's operations on apps, shared by the admin API and the CLI.
 *
 * @example
 * const control = createControl({ registry, admin, config });
 * const { writeKey } = await control.createApp("acme");
 */
export function createControl(deps: ControlDeps) {
  const { registry, admin, config } = deps;

  /**
   * Creates the app's missing topics, and raises max.message.bytes of its existing ones where it is
   * below what the event limit needs (topics made before, or before EVENT_MAX_BYTES was raised).
   * Only raises: a larger value an operator set stays. Other configs are left as they are.
   */
  async function ensureTopics(app: string): Promise<TopicRepair> {
    const specs = appTopicSpecs(app, config);
    const created = await admin.createTopics(specs);
    const resized: string[] = [];
    for (const spec of specs) {
      if (created.includes(spec.name)) continue;
      const wanted = spec.configs[MAX_MESSAGE_BYTES]!;
      const current = (await admin.topicConfigs(spec.name))[MAX_MESSAGE_BYTES];
      if (current !== undefined && Number(current) >= Number(wanted)) continue;
      await admin.setTopicConfigs(spec.name, { [MAX_MESSAGE_BYTES]: wanted });
      resized.push(spec.name);
    }
    return { topicsCreated: created, topicsResized: resized };
  }

  return {
    /**
     * Creates the app (validated name, settings) with its topics and returns the write key, the
     * only time it is shown. Topics already present are left as they are, so a create that
     * failed half-way can be retried.
     */
    async createApp(name: string, settings: Partial<AppSettings> = {}): Promise<{ app: AppInfo; writeKey: string; topicsCreated: string[] }> {
      const { app, key } = await registry.apps.createApp(name, settings);
      const { topicsCreated } = await ensureTopics(name);
      return { app, writeKey: key, topicsCreated };
    },

    /** Creates whatever topics of an existing app are missing, and brings their record size limit up to date. */
    async repairTopics(name: string): Promise<TopicRepair> {
      await requireApp(name);
      return ensureTopics(name);
    },

    /**
     * `repairTopics` for every app: franz runs it when it starts, so that raising EVENT_MAX_BYTES
     * (or upgrading from a version that left topics at the broker's default) needs only a restart.
     * An app whose topics cannot be repaired now is reported and the others go on.
     */
    async repairAllTopics(): Promise<{ app: string; repair?: TopicRepair; error?: unknown }[]> {
      const results: { app: string; repair?: TopicRepair; error?: unknown }[] = [];
      for (const app of await registry.apps.listApps()) {
        try {
          results.push({ app: app.name, repair: await ensureTopics(app.name) });
        } catch (error) {
          results.push({ app: app.name, error });
        }
      }
      return results;
    },

    listApps: () => registry.apps.listApps(),
    /** One app as the registry has it; FRANZ_UNKNOWN_APP when there is none. */
    app: (name: string) => requireApp(name),

    async describeApp(name: string): Promise<AppDescription> {
      const app = await requireApp(name);
      const specs = appTopicSpecs(name, config);
      const existing = new Set(await admin.listTopics());
      const present = specs.filter((s) => existing.has(s.name));
      const counts = await admin.partitionCounts(present.map((s) => s.name));
      const rates = deps.rates?.() ?? new Map<string, number>();

      const topics: TopicView[] = [];
      const ends = new Map<string, Awaited<ReturnType<Admin["topicOffsets"]>>>();
      for (const spec of present) {
        const offsets = await admin.topicOffsets(spec.name);
        ends.set(spec.name, offsets);
        const configs = await admin.topicConfigs(spec.name);
        topics.push({
          name: spec.name,
          kind: spec.kind,
          partitions: counts.get(spec.name) ?? offsets.length,
          messages: offsets.reduce((sum, p) => sum + Number(p.high), 0),
          retentionMs: configs["retention.ms"] === undefined ? undefined : Number(configs["retention.ms"]),
          ratePerSecond: rates.get(spec.name),
        });
      }

      const consumers: ConsumerView[] = [];
      for (const [group, kind] of [[config.FRANZ_SQLIZER_GROUP, "raw"], [config.FRANZ_BATCHER_GROUP, "sql"]] as const) {
        const topic = specs.find((s) => s.kind === kind)!.name;
        const offsets = ends.get(topic);
        if (!offsets) continue;
        const committed = await admin.groupOffsets(group, topic);
        const lag = offsets.reduce((sum, p) => {
          const at = BigInt(committed.get(p.partition) ?? "-1");
          return sum + Number(BigInt(p.high) - (at < 0n ? BigInt(p.low) : at));
        }, 0);
        consumers.push({ group, topic, lag, members: await admin.groupMembers(group) });
      }

      const tables: TableView[] = [];
      for (const table of await registry.listTables(name)) {
        const latest = await registry.version(name, table.name, "latest");
        tables.push({
          name: table.name,
          entype: table.entype,
          evname: table.evname,
          subject: table.subject,
          version: latest?.version ?? 0,
          columns: latest?.schema.columns.length ?? 0,
        });
      }
      const recovery = deps.recovery && {
        deadLetters: await countDeadLetters(deps.recovery.dlq, name),
        ledger: await ledgerSummary(deps.recovery.pool, config.BATCHER_SCHEMA, name),
      };
      return { ...app, topics, consumers, tables, ...(recovery ? { recovery } : {}) };
    },

    /**
     * Changes the app's column and table caps in place (see AppStore.updateSettings). Running
     * sqlizers apply the table cap at once and the column cap within 10 s.
     */
    updateSettings: (name: string, changes: Partial<AppSettings>) => registry.apps.updateSettings(name, changes),

    /** The app's dead letters: counts by reason, and the latest `limit` the filter picks. */
    async listDeadLetters(name: string, filter: LetterFilter, limit: number) {
      const app = await requireApp(name);
      return listDeadLetters(recoveryDeps().dlq, name, app.settings.dialect, filter, limit);
    },

    /** Sends the dead letters the filter picks back to raw.<app> (see redriveDeadLetters). */
    async redriveDeadLetters(name: string, filter: LetterFilter, options: { dryRun: boolean; limit: number }) {
      const app = await requireApp(name);
      return redriveDeadLetters(recoveryDeps().dlq, name, app.settings.dialect, filter, options);
    },

    rotateKey: async (name: string, graceSeconds?: number) => ({ writeKey: (await registry.apps.rotateKey(name, { graceSeconds })).key }),
    disableApp: (name: string) => registry.apps.disableApp(name),
    enableApp: (name: string) => registry.apps.enableApp(name),
    /** Replaces the web origins whose pages may send the app's events (the tracking API's CORS). */
    setAllowedOrigins: (name: string, origins: readonly string[]) => registry.apps.setAllowedOrigins(name, origins),

    async lineage(app: string, table: string): Promise<Lineage> {
      await requireApp(app);
      const lineage = await registry.lineage(app, table);
      if (!lineage) throw franzError("FRANZ_UNKNOWN_TABLE", `app ${app} has no table ${table}`, { app, table });
      return lineage;
    },
  };

  function recoveryDeps(): NonNullable<ControlDeps["recovery"]> {
    if (!deps.recovery) throw new Error("franz was started without the means to read dead letters");
    return deps.recovery;
  }

  async function requireApp(name: string): Promise<AppInfo> {
    const app = await registry.apps.getApp(name);
    if (!app) throw franzError("FRANZ_UNKNOWN_APP", `no app named ${name}`, { app: name });
    return app;
  }
}

export type Control = ReturnType<typeof createControl>;
