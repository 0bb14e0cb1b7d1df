import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import type { StackEndpoints } from './endpoints';
import type { StackSettings } from './stack-settings';
import { sleep } from './processes';

/**
 * Node's flags for the ingest-producer. A young generation of 8 MiB semi-spaces (V8's default on 64 bits: 16)
 * made a CSV replay parsing in its worker thread a quarter faster (about 340,000–390,000 rows/s against
 * 256,000–311,000) at 187–196 MiB peak RSS against 215–247 (libs/ingest README, benchmark). V8 sizes an
 * isolate's heap when it starts, so this is a command-line flag (NODE_OPTIONS takes it too), not a setting: the
 * Docker image (so compose and Kubernetes), `npm run ingest` and the bench pass the same
 * (ingest-node-flags.spec.ts holds them to it).
 */
export const INGEST_PRODUCER_NODE_FLAGS = ['--max-semi-space-size=8'] as const;

/** The deployable services, the health port each one gets by default, and the flags Node runs it with. */
export const SERVICES = [
  { name: 'ingest-producer', httpPort: 3001, nodeFlags: INGEST_PRODUCER_NODE_FLAGS },
  { name: 'stream-aggregator', httpPort: 3002, nodeFlags: [] },
  { name: 'warehouse-sink', httpPort: 3003, nodeFlags: [] },
] as const;

export type ServiceName = (typeof SERVICES)[number]['name'];

export interface ServiceLaunch {
  name: ServiceName;
  httpPort: number;
  nodeFlags: readonly string[];
}

export interface RunningService {
  name: ServiceName;
  httpPort: number;
  logFile: string;
  process: ChildProcess;
}

/** Starts a built service bundle (dist/apps/<name>/main.js) against the stack's endpoints. */
export function startService(settings: StackSettings, service: ServiceLaunch, endpoints: StackEndpoints, extraEnv: NodeJS.ProcessEnv = {}): RunningService {
  const logFile = join(settings.stackDir, 'logs', `${service.name}.log`);
  mkdirSync(join(settings.stackDir, 'logs'), { recursive: true });
  const log = openSync(logFile, 'a');
  const child = spawn(process.execPath, [...service.nodeFlags, join(settings.repoRoot, 'dist', 'apps', service.name, 'main.js')], {
    cwd: settings.repoRoot,
    env: { ...process.env, ...endpoints, HTTP_PORT: String(service.httpPort), ...extraEnv },
    stdio: ['ignore', log, log],
  });
  return { name: service.name, httpPort: service.httpPort, logFile, process: child };
}

export interface HealthReport {
  status: 'ok' | 'error' | 'unreachable';
  dependencies: Record<string, string>;
}

export async function fetchHealth(httpPort: number): Promise<HealthReport> {
  try {
    const response = await fetch(`http://127.0.0.1:${httpPort}/health`, { signal: AbortSignal.timeout(5000) });
    const body = (await response.json()) as { status?: string; details?: Record<string, { status: string; message?: string }> };
    const dependencies = Object.fromEntries(Object.entries(body.details ?? {}).map(([name, detail]) => [name, detail.message ?? detail.status]));
    return { status: response.ok && body.status === 'ok' ? 'ok' : 'error', dependencies };
  } catch {
    return { status: 'unreachable', dependencies: {} };
  }
}

export async function waitHealthy(service: RunningService, timeoutMs: number): Promise<HealthReport> {
  const deadline = Date.now() + timeoutMs;
  let report = await fetchHealth(service.httpPort);
  while (report.status !== 'ok' && Date.now() < deadline) {
    if (service.process.exitCode !== null) throw new Error(`${service.name} exited with code ${service.process.exitCode}; see ${service.logFile}`);
    await sleep(500);
    report = await fetchHealth(service.httpPort);
  }
  return report;
}

/** SIGTERM (the services shut down gracefully), SIGKILL if one hangs; `SIGKILL` simulates a crash. */
export async function stopService(service: RunningService, graceMs = 15000, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (service.process.exitCode !== null || service.process.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => service.process.once('exit', () => resolve()));
  service.process.kill(signal);
  const timer = setTimeout(() => service.process.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}
