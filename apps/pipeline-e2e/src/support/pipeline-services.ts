import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fetchHealth, freePort, SERVICES, stackSettings, startService, stopService, waitHealthy, type HealthReport, type RunningService, type ServiceName, type StackEndpoints } from '@pipeline/stack';
import { requiredEnv } from './run-environment';

function logPath(name: ServiceName): string {
  return join(stackSettings().stackDir, 'logs', `${name}.log`);
}

function logSize(name: ServiceName): number {
  try {
    return statSync(logPath(name)).size;
  } catch {
    return 0;
  }
}

/** A running service process: the service alone (`start`) or one named replica of it (`startReplica`). */
function instanceKey(name: ServiceName, replica?: string): string {
  return replica === undefined ? name : `${name}#${replica}`;
}

/**
 * The built services (dist/apps/*) of one isolated run, each startable and stoppable on its own.
 * A service can also run as several replicas at once (`startReplica`), each with its own HTTP port
 * and, for the stream-aggregator, its own AGGREGATOR_INSTANCE_ID (so its own transactional id).
 */
export class PipelineServices {
  private readonly running = new Map<string, RunningService>();
  private readonly paused = new Set<string>();
  /** Where each service's (shared, appended) log file stood when this run first started it. */
  private readonly logStart = new Map<ServiceName, number>();
  private readonly endpoints: StackEndpoints;

  constructor(private readonly runEnv: NodeJS.ProcessEnv) {
    this.endpoints = {
      KAFKA_BROKERS: requiredEnv('KAFKA_BROKERS'),
      SCHEMA_REGISTRY_URL: requiredEnv('SCHEMA_REGISTRY_URL'),
      DATABASE_URL: requiredEnv('DATABASE_URL'),
    };
  }

  async start(name: ServiceName, extraEnv: NodeJS.ProcessEnv = {}): Promise<void> {
    await this.launch(instanceKey(name), name, extraEnv);
  }

  /** Starts a service without waiting for it to be healthy (it may be waiting for a dependency); resolves once it is spawned. */
  async startWaiting(name: ServiceName, extraEnv: NodeJS.ProcessEnv = {}): Promise<void> {
    await this.launch(instanceKey(name), name, extraEnv, false);
  }

  /** The HTTP port of a running service (its /health, /metrics, webhook). */
  port(name: ServiceName, replica?: string): number {
    return this.instance(name, replica).httpPort;
  }

  /** The service's /health now: `ok`, `error` (503, with each failing dependency or part and its message) or `unreachable`. */
  health(name: ServiceName, replica?: string): Promise<HealthReport> {
    return fetchHealth(this.instance(name, replica).httpPort);
  }

  /**
   * One more replica of a service; a stream-aggregator replica gets AGGREGATOR_INSTANCE_ID = replica.
   * With `untilHealthy` false it resolves once spawned (a restart during a fault may take a while).
   */
  async startReplica(name: ServiceName, replica: string, extraEnv: NodeJS.ProcessEnv = {}, untilHealthy = true): Promise<void> {
    const replicaEnv = name === 'stream-aggregator' ? { AGGREGATOR_INSTANCE_ID: replica } : {};
    await this.launch(instanceKey(name, replica), name, { ...replicaEnv, ...extraEnv }, untilHealthy);
  }

  /** Whether this run has the instance running (started and not stopped or killed by it). */
  isRunning(name: ServiceName, replica?: string): boolean {
    return this.running.has(instanceKey(name, replica));
  }

  private async launch(key: string, name: ServiceName, extraEnv: NodeJS.ProcessEnv, untilHealthy = true): Promise<void> {
    if (this.running.has(key)) throw new Error(`${key} is already running`);
    const definition = SERVICES.find((service) => service.name === name);
    if (!definition) throw new Error(`unknown service ${name}`);
    const httpPort = await freePort();
    if (!this.logStart.has(name)) this.logStart.set(name, logSize(name));
    const service = startService(stackSettings(), { ...definition, httpPort }, this.endpoints, { LOG_LEVEL: 'warn', ...this.runEnv, ...extraEnv, HTTP_PORT: String(httpPort) });
    this.running.set(key, { ...service, httpPort });
    if (!untilHealthy) return;
    const health = await waitHealthy({ ...service, httpPort }, 60000);
    if (health.status !== 'ok') throw new Error(`${key} is not healthy: ${JSON.stringify(health)}; log: ${service.logFile}`);
  }

  private instance(name: ServiceName, replica?: string): RunningService {
    const service = this.running.get(instanceKey(name, replica));
    if (!service) throw new Error(`${instanceKey(name, replica)} is not running`);
    return service;
  }

  /** SIGTERM for a graceful stop, SIGKILL to simulate a crash. */
  async stop(name: ServiceName, signal: NodeJS.Signals = 'SIGTERM', replica?: string): Promise<void> {
    const key = instanceKey(name, replica);
    const service = this.running.get(key);
    if (!service) return;
    // A stopped (SIGSTOP) process acts on no signal but SIGKILL: let it run again first.
    if (this.paused.has(key) && signal !== 'SIGKILL') service.process.kill('SIGCONT');
    this.paused.delete(key);
    await stopService(service, 15000, signal);
    this.running.delete(key);
  }

  /** SIGKILL: the process dies at once, mid-transaction or not (a crash). */
  async kill(name: ServiceName, replica?: string): Promise<void> {
    await this.stop(name, 'SIGKILL', replica);
  }

  /** SIGSTOP: the process freezes (no heartbeats, no I/O) but keeps its connections, as a long GC pause or a VM stall. */
  pause(name: ServiceName, replica?: string): void {
    this.instance(name, replica).process.kill('SIGSTOP');
    this.paused.add(instanceKey(name, replica));
  }

  /** SIGCONT: a frozen process carries on from where it stopped. */
  resume(name: ServiceName, replica?: string): void {
    this.instance(name, replica).process.kill('SIGCONT');
    this.paused.delete(instanceKey(name, replica));
  }

  /** Whether the process has exited on its own (it should not, under any of the faults). */
  exited(name: ServiceName, replica?: string): boolean {
    const service = this.instance(name, replica);
    return service.process.exitCode !== null || service.process.signalCode !== null;
  }

  /** The exit code of a process that has exited (null while it runs or when a signal ended it). */
  exitCode(name: ServiceName, replica?: string): number | null {
    return this.instance(name, replica).process.exitCode;
  }

  /** The last lines this run's instances of a service logged (replicas share one file), each cut to 400 characters, for failure messages. */
  logTail(name: ServiceName, lines = 8): string {
    const start = this.logStart.get(name);
    if (start === undefined) return '(not started by this run)';
    try {
      const text = readFileSync(logPath(name)).subarray(start).toString('utf8');
      if (text.trim() === '') return '(nothing logged)';
      return text
        .trimEnd()
        .split('\n')
        .slice(-lines)
        .map((line) => (line.length > 400 ? `${line.slice(0, 400)}…` : line))
        .join('\n');
    } catch {
      return '(no log)';
    }
  }

  async stopAll(): Promise<void> {
    const instances = [...this.running.entries()];
    await Promise.all(
      instances.map(async ([key, service]) => {
        if (this.paused.has(key)) service.process.kill('SIGCONT');
        this.paused.delete(key);
        await stopService(service, 15000, 'SIGTERM');
        this.running.delete(key);
      }),
    );
  }
}
