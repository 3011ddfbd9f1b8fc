import { waitFor } from "@schematizer/errors";
import { parseJson } from "@schematizer/schema";
import { test } from "@schematizer/testing";
import { describe, expect } from "vitest";
import { archivedEvents, heldCount, leafCount, rowsById, watchDeadLetters, type DeadLetters } from "./event-fates.ts";
import { canary, generatedEvents } from "./generated-events.ts";
import { startPipeline } from "./pipeline-kit.ts";

/** `npm run fuzz:pipeline` sets these for a long run from a random seed; `npm test` runs the seeds below. */
const EVENTS = Number(process.env.FUZZ_EVENTS ?? 160);
/** Seeds that found something once, each run by every `npm test` so it stays found. */
const SEEDS = process.env.FUZZ_SEED ? [Number(process.env.FUZZ_SEED)] : [20261201];
const SETTLE_MS = Number(process.env.FUZZ_SETTLE_MS ?? 120_000);

describe("generated input through the whole pipeline", () => {
  for (const seed of SEEDS) {
    test(`seed ${seed}: every 202'd event ends as exactly one row or one dead letter, holding every value, and is archived once as sent; a canary after each lands`, async ({ kafka, db, bucket, endpoints }) => {
      const pipeline = await startPipeline({ kafka, db, bucket, endpoints });
      const watchers: DeadLetters[] = [];
      try {
        // Two apps share the generated events: one with caps low enough that the events meet them
        // (tables beyond 12 are dead letters, fields beyond 400 columns go to _sz_unmapped), one
        // with the defaults, where wide documents meet the warehouse's row limits instead.
        const apps = await Promise.all(
          [["capped", ["--max-tables", "12", "--max-columns", "400"]], ["open", []]].map(async ([name, flags]) => {
            const app = name as string;
            const key = pipeline.createApp(app, flags as string[]);
            const dead = await watchDeadLetters(kafka.client, `${kafka.prefix}dlq.${app}`, kafka.group(`dlq-${app}`));
            watchers.push(dead);
            return { app, key, dead, accepted: new Map<string, string>(), canaries: [] as string[] };
          }),
        );
        const calm = pipeline.createApp("calm");
        const events = generatedEvents(seed, EVENTS, "g");
        const answers = new Map<number, number>();
        const calmIds: string[] = [];
        for (const target of apps) {
          // The canaries' table exists before the generated events can fill the app's tables.
          expect((await pipeline.post(target.app, target.key, canary("c-first", "u0").text)).status).toBe(202);
          target.canaries.push("c-first");
        }
        // Requests of one to four events, all or nothing; then a canary on the last one's entity.
        for (let n = 0, r = 0; n < events.length; r++) {
          const request = events.slice(n, (n += 1 + (r % 4)));
          const target = apps[r % apps.length]!;
          const answer = await pipeline.post(target.app, target.key, `[${request.map((e) => e.text).join(",")}]`);
          answers.set(answer.status, (answers.get(answer.status) ?? 0) + 1);
          // Never a 5xx for what a client sends; a refusal is coded and takes nothing.
          expect(answer.status, `${request[0]!.id}…: ${JSON.stringify(answer.body).slice(0, 300)}`).toBeLessThan(500);
          if (answer.status === 202) for (const event of request) target.accepted.set(event.id, event.text);
          else expect(answer.body).toMatchObject({ code: expect.stringMatching(/^SINK_/) });
          const ping = canary(`c${r}`, request.at(-1)!.enid);
          expect((await pipeline.post(target.app, target.key, ping.text)).status).toBe(202);
          target.canaries.push(ping.id);
          if (r % 5 === 0) {
            const id = `calm${r}`;
            expect((await pipeline.send("calm", calm, [{ id, ts: 1420072292000, entype: "user", evname: "steady", body: { r } }])).status).toBe(202);
            calmIds.push(id);
          }
        }

        const summary: string[] = [];
        for (const { app, dead, accepted, canaries } of apps) {
          let rows = new Map<string, Record<string, unknown>[]>();
          const unsettled = () => [...accepted.keys(), ...canaries].filter((id) => (rows.get(id)?.length ?? 0) + dead.count(id) === 0);
          await waitFor(`a fate for every event accepted for ${app}`, async () => {
            rows = await rowsById(pipeline.warehouse, pipeline.schemaOf(app));
            return unsettled().length === 0 ? true : undefined;
          }, { timeoutMs: SETTLE_MS, intervalMs: 1_000 }).catch((error: unknown) => {
            throw new Error(`${app}: ${unsettled().length} events without a fate, e.g. ${unsettled().slice(0, 5).map((id) => accepted.get(id)?.slice(0, 200) ?? id).join(" | ")}`, { cause: error });
          });

          const fates = { rows: 0, deadLetters: 0 };
          for (const [id, text] of accepted) {
            const asRows = rows.get(id)?.length ?? 0;
            const asLetters = dead.count(id);
            expect(asRows + asLetters, `${app} ${id} (${text.slice(0, 200)}): ${asRows} rows, ${asLetters} dead letters`).toBe(1);
            if (asRows === 1) {
              fates.rows++;
              const parsed = parseJson(text);
              const body = parsed.ok ? (parsed.value as { body: unknown }).body : undefined;
              expect(heldCount(rows.get(id)![0]!), `${app} ${id}: every value of ${text.slice(0, 200)} in a column or _sz_unmapped`).toBe(leafCount(body));
            } else {
              fates.deadLetters++;
            }
          }
          for (const id of canaries) expect(rows.get(id)?.length ?? 0, `${app} canary ${id}`).toBe(1);
          // The raw archive holds every accepted event once, with the exact text the client sent.
          const archive = await archivedEvents(db.pool, bucket.store, app, accepted.size + canaries.length);
          expect(archive.map((e) => e.id).sort(), `${app}: the archive's ids`).toEqual([...accepted.keys(), ...canaries].sort());
          for (const e of archive) if (accepted.has(e.id)) expect(e.value.toString("utf8"), `${app} ${e.id} archived as sent`).toBe(accepted.get(e.id));
          for (const { id } of events.filter((e) => !accepted.has(e.id))) expect((rows.get(id)?.length ?? 0) + dead.count(id), `${id} was refused`).toBe(0);
          summary.push(`${app}: ${fates.rows} rows, ${fates.deadLetters} dead letters ${JSON.stringify(Object.fromEntries(dead.reasons()))}, ${canaries.length} canaries landed`);
        }
        await pipeline.rows("calm", "_e_user__steady", calmIds.length);
        console.log(`seed ${seed}: ${events.length} events, answers ${JSON.stringify(Object.fromEntries(answers))}; ${summary.join("; ")}`);
      } finally {
        await Promise.all(watchers.map((w) => w.close()));
        await pipeline.stop();
      }
    }, SETTLE_MS + 240_000);
  }
});
