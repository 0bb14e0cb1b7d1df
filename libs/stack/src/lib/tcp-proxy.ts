import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * How a blocked proxy treats connections:
 * - `refuse`: nothing listens on the port (connect fails with ECONNREFUSED, as with a service that is down);
 * - `reset`: connections are accepted and reset at once (a crashing peer, a firewall sending RST);
 * - `hang`: connections are accepted and nothing ever answers (a frozen peer, a network black hole).
 * Connections open when the proxy is blocked are reset (`refuse`, `reset`) or frozen (`hang`).
 */
export type TcpBlockMode = 'refuse' | 'reset' | 'hang';

export interface TcpProxyOptions {
  /** Where connections are forwarded: `host:port`. */
  readonly target: string;
  /** Port to listen on; default 0 (a free port). */
  readonly port?: number;
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** Start blocked (e.g. a dependency that is unreachable from the start). */
  readonly blocked?: TcpBlockMode;
}

/** A TCP forwarder for fault tests: put it between a client and a dependency, then block and unblock it. */
export interface TcpProxy {
  readonly host: string;
  readonly port: number;
  /** `host:port` of the proxy, for KAFKA_BROKERS or inside a URL. */
  readonly address: string;
  /** The current block mode, undefined when forwarding. */
  readonly blocked: TcpBlockMode | undefined;
  block(mode?: TcpBlockMode): Promise<void>;
  unblock(): Promise<void>;
  close(): Promise<void>;
}

function parseTarget(target: string): { host: string; port: number } {
  const match = /^(.+):(\d+)$/.exec(target.trim());
  if (!match?.[1] || !match[2]) throw new Error(`TCP proxy target must be host:port (got "${target}")`);
  return { host: match[1], port: Number(match[2]) };
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const failed = (error: Error) => reject(new Error(`TCP proxy cannot listen on ${host}:${port}: ${error.message}`, { cause: error }));
    server.once('error', failed);
    server.listen(port, host, () => {
      server.off('error', failed);
      const address = server.address();
      if (typeof address === 'object' && address) resolve(address.port);
      else reject(new Error(`TCP proxy on ${host}:${port} has no address`));
    });
  });
}

function stopListening(server: Server): Promise<void> {
  // close() waits for open connections, which the proxy cuts itself: do not wait for them here.
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
  });
}

/** One forwarded connection: the client's socket and the socket to the target. */
interface Pair {
  readonly client: Socket;
  readonly upstream: Socket | undefined;
}

/** Ends a connection abruptly, as a dead peer does (RST where possible). */
function cut(socket: Socket | undefined): void {
  if (!socket || socket.destroyed) return;
  if (socket.readyState === 'open') socket.resetAndDestroy();
  else socket.destroy();
}

function freeze(pair: Pair): void {
  pair.client.unpipe();
  pair.upstream?.unpipe();
  pair.client.pause();
  pair.upstream?.pause();
}

/** Starts a proxy forwarding every connection to `target` until blocked; node:net only. */
export async function startTcpProxy(options: TcpProxyOptions): Promise<TcpProxy> {
  const target = parseTarget(options.target);
  const host = options.host ?? '127.0.0.1';
  const pairs = new Set<Pair>();
  let mode: TcpBlockMode | undefined = options.blocked;
  let closed = false;

  const server = createServer((client) => {
    client.on('error', () => undefined);
    if (mode === 'reset' || mode === 'refuse') return cut(client);
    if (mode === 'hang') {
      // Accepted and held: the client waits for an answer that never comes.
      const held: Pair = { client, upstream: undefined };
      pairs.add(held);
      client.pause();
      client.once('close', () => pairs.delete(held));
      return;
    }
    const upstream = connect(target.port, target.host);
    const pair: Pair = { client, upstream };
    pairs.add(pair);
    // A failure on one side resets the other; an orderly close is passed on (pipe ends the other side).
    const fail = () => {
      pairs.delete(pair);
      cut(client);
      cut(upstream);
    };
    upstream.on('error', fail);
    client.on('error', fail);
    upstream.once('close', () => pairs.delete(pair));
    client.once('close', () => pairs.delete(pair));
    client.pipe(upstream);
    upstream.pipe(client);
  });
  server.on('error', () => undefined);

  // With port 0 the port is chosen once and kept across blocks (a `refuse` block frees it meanwhile).
  const port = await listen(server, options.port ?? 0, host);
  if (mode === 'refuse') await stopListening(server);

  const cutAll = () => {
    for (const pair of pairs) {
      cut(pair.client);
      cut(pair.upstream);
    }
    pairs.clear();
  };

  return {
    host,
    port,
    address: `${host}:${port}`,
    get blocked() {
      return mode;
    },
    async block(next: TcpBlockMode = 'refuse') {
      if (closed) throw new Error('TCP proxy is closed');
      mode = next;
      if (next === 'hang') {
        for (const pair of pairs) freeze(pair);
      } else {
        cutAll();
      }
      if (next === 'refuse') await stopListening(server);
      else if (!server.listening) await listen(server, port, host);
    },
    async unblock() {
      if (closed) throw new Error('TCP proxy is closed');
      // Frozen connections never recover (their peers' state is unknown): the clients reconnect.
      if (mode === 'hang') cutAll();
      mode = undefined;
      if (!server.listening) await listen(server, port, host);
    },
    async close() {
      closed = true;
      mode = 'refuse';
      cutAll();
      await stopListening(server);
    },
  };
}
