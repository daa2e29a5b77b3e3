import { connect, createServer, type Socket } from "node:net";

/**
 * A TCP proxy in front of Redis whose path can die silently, as it does when
 * a NAT entry times out, a failover moves the address or a route is dropped:
 * no RST, no FIN, the sockets stay open and nothing arrives any more.
 */
export interface BlackholeProxy {
  /** `redis://127.0.0.1:<port>`: where clients connect instead of the real Redis. */
  readonly url: string;
  /**
   * Stops forwarding in both directions without closing anything. Bytes on a
   * connection open now are dropped, and so are its end and close: its client
   * hears nothing, ever. A connection made while black-holed is accepted (the
   * kernel completes the handshake) and then hears nothing either.
   */
  blackhole(): void;
  /**
   * New connections go through again. A connection cut by `blackhole()` stays
   * cut: bytes were lost mid-stream, so, like a connection whose NAT entry is
   * gone, only a new one works.
   */
  heal(): void;
  /** Connections open now (cut or not), for assertions on reconnects. */
  connections(): number;
  /** Closes the listener and every socket. */
  close(): Promise<void>;
}

interface Pair {
  readonly client: Socket;
  readonly upstream: Socket | undefined;
  cut: boolean;
}

/** Starts a black-hole proxy on a free port in front of `target` (a `redis://host:port` URL). */
export async function startBlackholeProxy(target: string): Promise<BlackholeProxy> {
  const { hostname, port } = new URL(target);
  const pairs = new Set<Pair>();
  let dark = false;

  function drop(pair: Pair): void {
    pairs.delete(pair);
    pair.client.destroy();
    pair.upstream?.destroy();
  }

  /** Forwards data and end from one side to the other while the pair is not cut. */
  function forward(pair: Pair, from: Socket, to: Socket): void {
    from.on("data", (chunk: Buffer) => {
      if (!pair.cut) to.write(chunk);
    });
    from.on("end", () => {
      if (!pair.cut) to.end();
    });
  }

  // allowHalfOpen: a client's FIN must not make the proxy answer with its own while cut.
  const server = createServer({ allowHalfOpen: true }, (client) => {
    const upstream = dark ? undefined : connect({ host: hostname, port: Number(port), allowHalfOpen: true });
    const pair: Pair = { client, upstream, cut: dark };
    pairs.add(pair);
    // The client going away is always honoured (it is the side under test that decides).
    client.on("error", () => drop(pair));
    client.on("close", () => drop(pair));
    if (!upstream) {
      client.resume(); // read and discard: a silent peer still acknowledges at the TCP level
      return;
    }
    forward(pair, client, upstream);
    forward(pair, upstream, client);
    // Redis going away reaches the client only while the path is up.
    upstream.on("error", () => {
      if (!pair.cut) drop(pair);
    });
    upstream.on("close", () => {
      if (!pair.cut) drop(pair);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  const proxyPort = typeof address === "object" && address ? address.port : 0;

  return {
    url: `redis://127.0.0.1:${proxyPort}`,
    blackhole() {
      dark = true;
      for (const pair of pairs) pair.cut = true;
    },
    heal() {
      dark = false;
    },
    connections: () => pairs.size,
    close() {
      for (const pair of pairs) drop(pair);
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
