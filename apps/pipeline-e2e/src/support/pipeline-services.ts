import { createServer } from 'node:net';
import { SERVICES, stackSettings, startService, stopService, waitHealthy, type RunningService, type ServiceName, type StackEndpoints } from '@pipeline/stack';
import { requiredEnv } from './run-environment';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** The built services (dist/apps/*) of one isolated run, each startable and stoppable on its own. */
export class PipelineServices {
  private readonly running = new Map<ServiceName, RunningService>();
  private readonly endpoints: StackEndpoints;

  constructor(private readonly runEnv: NodeJS.ProcessEnv) {
    this.endpoints = {
      KAFKA_BROKERS: requiredEnv('KAFKA_BROKERS'),
      SCHEMA_REGISTRY_URL: requiredEnv('SCHEMA_REGISTRY_URL'),
      DATABASE_URL: requiredEnv('DATABASE_URL'),
    };
  }

  async start(name: ServiceName, extraEnv: NodeJS.ProcessEnv = {}): Promise<void> {
    const definition = SERVICES.find((service) => service.name === name);
    if (!definition) throw new Error(`unknown service ${name}`);
    const httpPort = await freePort();
    const service = startService(stackSettings(), { ...definition, httpPort }, this.endpoints, { ...this.runEnv, ...extraEnv, HTTP_PORT: String(httpPort), LOG_LEVEL: 'warn' });
    this.running.set(name, { ...service, httpPort });
    const health = await waitHealthy({ ...service, httpPort }, 60000);
    if (health.status !== 'ok') throw new Error(`${name} is not healthy: ${JSON.stringify(health)}; log: ${service.logFile}`);
  }

  /** SIGTERM for a graceful stop, SIGKILL to simulate a crash. */
  async stop(name: ServiceName, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const service = this.running.get(name);
    if (!service) return;
    await stopService(service, 15000, signal);
    this.running.delete(name);
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.running.keys()].map((name) => this.stop(name)));
  }
}
