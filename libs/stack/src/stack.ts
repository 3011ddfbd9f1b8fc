import { kafkaService } from "./kafka-service.ts";
import { postgresService } from "./postgres-service.ts";
import { s3Service } from "./s3-service.ts";
import type { Service } from "./service.ts";
import { readStackEnv, resolveEndpoints, type StackEnv } from "./stack-config.ts";

export interface ServiceStatus {
  name: string;
  endpoint: string;
  external: boolean;
  pid: number | undefined;
  ready: boolean;
}

export interface Stack {
  services: Service[];
  /** Starts every local service that is not already answering; returns the names it started. */
  up(log?: (line: string) => void): Promise<string[]>;
  /** Stops the named local services (default: all); returns the names it stopped. */
  down(names?: string[]): Promise<string[]>;
  status(): Promise<ServiceStatus[]>;
}

/**
 * The local stack: Kafka, Postgres and an S3 server, each replaced by an external server
 * when the environment names one.
 *
 * @example
 * const started = await createStack().up(console.log);
 */
export function createStack(env: StackEnv = readStackEnv()): Stack {
  const endpoints = resolveEndpoints(env);
  const services = [kafkaService(env, endpoints), postgresService(env, endpoints), s3Service(env, endpoints)];

  return {
    services,
    async up(log = () => undefined) {
      const started = await Promise.all(
        services.map(async (service) => {
          if (await service.ready()) return undefined;
          if (service.external) throw new Error(`${service.name} at ${service.endpoint} (external) does not answer`);
          // A process of ours that does not answer is stuck: replace it.
          await service.stop();
          const t0 = performance.now();
          await service.start(log);
          log(`${service.name} ready at ${service.endpoint} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
          return service.name;
        }),
      );
      return started.filter((name): name is string => name !== undefined);
    },
    async down(names) {
      const stopped = await Promise.all(
        services
          .filter((s) => !s.external && (names === undefined || names.includes(s.name)))
          .map(async (s) => ((await s.stop()) ? s.name : undefined)),
      );
      return stopped.filter((name): name is string => name !== undefined);
    },
    status: () =>
      Promise.all(
        services.map(async (s) => ({
          name: s.name,
          endpoint: s.endpoint,
          external: s.external,
          pid: s.pid(),
          ready: await s.ready(),
        })),
      ),
  };
}
