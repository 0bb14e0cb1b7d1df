import { connect, createServer, type Server } from 'node:net';
import { startTcpProxy, type TcpProxy } from './tcp-proxy';

/** An echo server on a free port: what the proxy forwards to. */
async function echoServer(): Promise<{ server: Server; address: string }> {
  const server = createServer((socket) => {
    socket.on('error', () => undefined);
    socket.pipe(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (typeof address !== 'object' || !address) throw new Error('echo server has no address');
  return { server, address: `127.0.0.1:${address.port}` };
}

type Outcome = { echoed: string } | { failed: string } | { closed: true } | { silent: true };

/** Connects through the proxy, sends `text`, and says what came of it within `waitMs`. */
function roundTrip(port: number, text: string, waitMs = 1500): Promise<Outcome> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    const done = (outcome: Outcome) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(outcome);
    };
    const timer = setTimeout(() => done({ silent: true }), waitMs);
    socket.on('connect', () => socket.write(text));
    socket.on('data', (chunk) => {
      received += chunk.toString();
      if (received === text) done({ echoed: received });
    });
    socket.on('error', (error: NodeJS.ErrnoException) => done({ failed: error.code ?? error.message }));
    socket.on('close', () => done({ closed: true }));
  });
}

describe('TCP proxy for fault tests', () => {
  let echo: { server: Server; address: string };
  let proxy: TcpProxy;

  beforeAll(async () => {
    echo = await echoServer();
  });
  afterEach(() => proxy?.close());
  afterAll(() => new Promise<void>((resolve) => echo.server.close(() => resolve())));

  it('forwards, refuses while blocked, and forwards again on the same port once unblocked', async () => {
    proxy = await startTcpProxy({ target: echo.address });
    expect(proxy.address).toBe(`127.0.0.1:${proxy.port}`);
    expect(await roundTrip(proxy.port, 'hello')).toEqual({ echoed: 'hello' });

    await proxy.block();
    expect(proxy.blocked).toBe('refuse');
    expect(await roundTrip(proxy.port, 'hello')).toEqual({ failed: 'ECONNREFUSED' });

    await proxy.unblock();
    expect(await roundTrip(proxy.port, 'again')).toEqual({ echoed: 'again' });
  });

  it('can start blocked: nothing listens on its port until it is unblocked', async () => {
    proxy = await startTcpProxy({ target: echo.address, blocked: 'refuse' });
    expect(await roundTrip(proxy.port, 'x')).toEqual({ failed: 'ECONNREFUSED' });
    await proxy.unblock();
    expect(await roundTrip(proxy.port, 'x')).toEqual({ echoed: 'x' });
  });

  it('cuts open connections when blocked', async () => {
    proxy = await startTcpProxy({ target: echo.address });
    const socket = connect(proxy.port, '127.0.0.1');
    socket.on('error', () => undefined);
    await new Promise<void>((resolve) => socket.once('data', () => resolve()).write('ping'));
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    await proxy.block('reset');
    await closed;
    const outcome = await roundTrip(proxy.port, 'x');
    expect('echoed' in outcome).toBe(false);
  });

  it('hangs connections in `hang` mode (accepted, never answered), and forwards again once unblocked', async () => {
    proxy = await startTcpProxy({ target: echo.address, blocked: 'hang' });
    expect(await roundTrip(proxy.port, 'x', 500)).toEqual({ silent: true });
    await proxy.unblock();
    expect(await roundTrip(proxy.port, 'y')).toEqual({ echoed: 'y' });
  });
});
