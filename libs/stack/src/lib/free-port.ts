import { createServer } from 'node:net';

/**
 * A TCP port on 127.0.0.1 that nothing listens on now, as the OS hands it out. A port picked at random in
 * the ephemeral range (32768–60999 on Linux) can already be some client connection's own local port: a test
 * whose service then failed with EADDRINUSE.
 */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}
