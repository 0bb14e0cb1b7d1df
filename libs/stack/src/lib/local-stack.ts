import { mkdirSync, rmSync, statSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ComponentName } from './endpoints';
import type { StackSettings } from './stack-settings';
import { ComponentStartError } from './errors';
import { isAlive, sleep } from './processes';
import { requireJava, requirePostgresBinaries } from './prerequisites';
import type { LocalComponent } from './components/component';
import { ensureJavaDistributions, type JavaDistributions } from './components/java-distributions';
import { KafkaBroker, type SaslSslEndpoint } from './components/kafka-broker';
import { PostgresServer } from './components/postgres-server';
import { SchemaRegistryServer } from './components/schema-registry-server';

const READY_TIMEOUT_MS = 120000;

export interface ComponentStatus {
  name: ComponentName;
  endpoint: string;
  pid: number | undefined;
  logFile: string;
}

/**
 * The stack as local processes: Kafka and Apicurio from Maven Central jars,
 * PostgreSQL from the machine's binaries. Prerequisites are checked only for the
 * components actually needed, and each one is started only if it is not running.
 */
export class LocalStack {
  private javaDistributions: JavaDistributions | undefined;
  private readonly postgres: PostgresServer;
  private readonly kafka: KafkaBroker;
  private readonly registry: SchemaRegistryServer;

  constructor(
    private readonly settings: StackSettings,
    /** Whether PostgreSQL is run locally too (then the registry stores its schemas in it). */
    localPostgres: boolean,
  ) {
    const java = () => requireJava();
    const distributions = () => (this.javaDistributions ??= ensureJavaDistributions(settings));
    this.postgres = new PostgresServer(settings, () => requirePostgresBinaries());
    this.kafka = new KafkaBroker(settings, java, distributions);
    this.registry = new SchemaRegistryServer(settings, java, distributions, localPostgres ? this.postgres.registryStorage() : undefined);
  }

  private all(): LocalComponent[] {
    return [this.postgres, this.kafka, this.registry];
  }

  private pick(names: readonly ComponentName[]): LocalComponent[] {
    return this.all().filter((component) => names.includes(component.name));
  }

  /** Starts what is not running yet (in dependency order) and waits until each one really works. */
  async up(names: readonly ComponentName[]): Promise<{ endpoints: Record<ComponentName, string>; started: ComponentName[] }> {
    return this.withLock(async () => {
      const wanted = this.pick(names);
      for (const component of wanted) {
        if (await component.portTakenByOther()) {
          throw new ComponentStartError(component.name, `its port is already used by a process this stack did not start; stop it, move the port (STACK_*_PORT) or point the env endpoint at it`);
        }
      }
      const toStart = wanted.filter((component) => component.runningPid() === undefined);
      // Kafka first (it takes longest), PostgreSQL next, the registry last since it stores into PostgreSQL.
      const order: ComponentName[] = ['kafka', 'postgres', 'registry'];
      for (const name of order) {
        const component = toStart.find((candidate) => candidate.name === name);
        if (!component) continue;
        if (name === 'registry' && toStart.some((c) => c.name === 'postgres')) await this.postgres.waitReady(READY_TIMEOUT_MS);
        await component.start();
      }
      await Promise.all(wanted.map((component) => component.waitReady(READY_TIMEOUT_MS)));
      const endpoints = Object.fromEntries(wanted.map((component) => [component.name, component.endpoint()])) as Record<ComponentName, string>;
      return { endpoints, started: toStart.map((component) => component.name) };
    });
  }

  /** The local broker's SASL_SSL listener (its endpoint, CA file and test account). */
  saslSslEndpoint(): SaslSslEndpoint {
    return this.kafka.saslSslEndpoint();
  }

  /** Stops only processes this stack started (pid file and command line both match). */
  async down(): Promise<ComponentName[]> {
    return this.withLock(async () => {
      const stopped: ComponentName[] = [];
      for (const component of [this.registry, this.kafka, this.postgres]) {
        if (component.runningPid() === undefined) continue;
        await component.stop();
        stopped.push(component.name);
      }
      return stopped;
    });
  }

  /** Stops one component this stack started (a fault test restarts it with `up`); the others keep running. */
  async stopComponent(name: ComponentName): Promise<void> {
    await this.withLock(async () => {
      for (const component of this.pick([name])) if (component.runningPid() !== undefined) await component.stop();
    });
  }

  status(): ComponentStatus[] {
    return this.all().map((component) => ({
      name: component.name,
      endpoint: component.endpoint(),
      pid: component.runningPid(),
      logFile: component.logFile,
    }));
  }

  /** Two `up`s at once (parallel test runners) must not start anything twice. */
  private async withLock<T>(work: () => Promise<T>): Promise<T> {
    const lockDir = join(this.settings.stackDir, 'run', 'stack.lock');
    mkdirSync(join(this.settings.stackDir, 'run'), { recursive: true });
    const deadline = Date.now() + 10 * 60000;
    for (;;) {
      try {
        mkdirSync(lockDir);
        writeFileSync(join(lockDir, 'owner'), String(process.pid));
        break;
      } catch {
        if (lockIsStale(lockDir)) rmSync(lockDir, { recursive: true, force: true });
        else if (Date.now() > deadline) throw new Error(`the stack lock ${lockDir} is held by another process`);
        else await sleep(250);
      }
    }
    try {
      return await work();
    } finally {
      rmSync(lockDir, { recursive: true, force: true });
    }
  }
}

function lockIsStale(lockDir: string): boolean {
  try {
    const owner = Number(readFileSync(join(lockDir, 'owner'), 'utf8'));
    return !isAlive(owner);
  } catch {
    // lock dir without owner file: the owner died between mkdir and write, or is writing right now
    try {
      return Date.now() - statSync(lockDir).mtimeMs > 5000;
    } catch {
      return true;
    }
  }
}
