import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { registryAnswers } from '@pipeline/kafka';
import type { StackSettings } from '../stack-settings';
import { ComponentStartError } from '../errors';
import { ownedLivePid, portAnswers, startDetached, stopOwnedProcess, waitUntil } from '../processes';
import type { JavaDistributions } from './java-distributions';
import type { LocalComponent } from './component';

export interface RegistryStorage {
  url: string;
  user: string;
  password: string;
}

/**
 * Apicurio Registry serving the Confluent-compatible API under /apis/ccompat/v7.
 * With a local PostgreSQL it stores schemas there, so schema ids survive restarts
 * just as the Kafka records that carry them do; otherwise it keeps them in memory.
 */
export class SchemaRegistryServer implements LocalComponent {
  readonly name = 'registry' as const;
  readonly logFile: string;
  private readonly pidFile: string;
  private readonly workDir: string;

  constructor(
    private readonly settings: StackSettings,
    /** Resolved on start only, so status and down work without a JDK. */
    private readonly java: () => string,
    private readonly distributions: () => JavaDistributions,
    private readonly storage: RegistryStorage | undefined,
  ) {
    this.logFile = join(settings.stackDir, 'logs', 'registry.log');
    this.pidFile = join(settings.stackDir, 'run', 'registry.pid');
    this.workDir = join(settings.stackDir, 'data', 'registry');
  }

  endpoint(): string {
    return `http://127.0.0.1:${this.settings.registryPort}/apis/ccompat/v7`;
  }

  runningPid(): number | undefined {
    return ownedLivePid(this.pidFile, this.workDir);
  }

  async portTakenByOther(): Promise<boolean> {
    return this.runningPid() === undefined && (await portAnswers(this.settings.registryPort));
  }

  async start(): Promise<void> {
    const { apicurioJar } = this.distributions();
    mkdirSync(this.workDir, { recursive: true });
    const storage = this.storage
      ? [
          '-Dapicurio.storage.kind=sql',
          '-Dapicurio.storage.sql.kind=postgresql',
          `-Dapicurio.datasource.url=${this.storage.url}`,
          `-Dapicurio.datasource.username=${this.storage.user}`,
          `-Dapicurio.datasource.password=${this.storage.password}`,
        ]
      : [];
    const args = [
      '-Xms128m',
      '-Xmx512m',
      `-Duser.dir=${this.workDir}`,
      `-Dquarkus.http.port=${this.settings.registryPort}`,
      '-Dquarkus.http.host=127.0.0.1',
      // The Confluent client checks compatibility on register; a global rule makes that answer for every subject.
      '-Dapicurio.rules.global.compatibility=BACKWARD',
      '-Dapicurio.ccompat.use-canonical-hash=true',
      ...storage,
      '-jar',
      apicurioJar,
    ];
    startDetached(this.java(), args, { cwd: this.workDir, logFile: this.logFile, pidFile: this.pidFile });
  }

  async waitReady(timeoutMs: number): Promise<void> {
    const { ready, lastError } = await waitUntil(async () => {
      if (this.runningPid() === undefined) throw new Error('the registry process exited');
      return registryAnswers(this.endpoint());
    }, timeoutMs);
    if (!ready) throw new ComponentStartError('registry', lastError ?? `no answer within ${timeoutMs} ms`, this.logFile);
  }

  async stop(): Promise<void> {
    await stopOwnedProcess(this.pidFile, this.workDir);
  }
}
