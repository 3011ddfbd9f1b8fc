import net from "node:net";

/** A TCP proxy in front of a real server, whose line a test can cut and mend: an outage on demand. */
export interface TcpProxy {
  /** Where clients connect instead of the server. */
  readonly port: number;
  /** Drops every open connection and refuses new ones (ECONNREFUSED), as a server that went away. */
  cut(): Promise<void>;
  /** Accepts connections again, on the same port. */
  mend(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Starts a proxy on a free local port to `target`. The server behind it is real and untouched;
 * only the line is cut, so a test can show what a service does while its dependency is away.
 *
 * @example
 * const proxy = await tcpProxy({ host: "127.0.0.1", port: 54329 });
 * const pool = createPool({ connectionString: `postgres://postgres:postgres@127.0.0.1:${proxy.port}/postgres` });
 * await proxy.cut(); // queries fail with ECONNREFUSED / "Connection terminated"
 * await proxy.mend();
 */
export async function tcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const sockets = new Set<net.Socket>();
  let server: net.Server | undefined;
  let port = 0;

  const listen = () =>
    new Promise<void>((resolve, reject) => {
      const s = net.createServer((client) => {
        const upstream = net.connect(target.port, target.host);
        for (const socket of [client, upstream]) {
          sockets.add(socket);
          socket.on("close", () => sockets.delete(socket));
          socket.on("error", () => {
            client.destroy();
            upstream.destroy();
          });
        }
        client.pipe(upstream).pipe(client);
      });
      s.once("error", reject);
      s.listen(port, "127.0.0.1", () => {
        port = (s.address() as net.AddressInfo).port;
        server = s;
        resolve();
      });
    });

  const stop = async () => {
    const s = server;
    server = undefined;
    for (const socket of sockets) socket.destroy();
    sockets.clear();
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  };

  await listen();
  return {
    get port() {
      return port;
    },
    cut: stop,
    mend: async () => {
      if (!server) await listen();
    },
    close: stop,
  };
}
