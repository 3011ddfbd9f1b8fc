import { createServer } from "node:net";

/**
 * A TCP port nothing listens on now, for a server about to start (a test's, a benchmark's).
 *
 * @example
 * const port = await freePort(); await app.listen({ port, host: "127.0.0.1" });
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}
