import { createHash } from 'node:crypto';
import { chownSync, existsSync, lstatSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { Client } from 'pg';
import type { StackSettings } from '../stack-settings';
import { ComponentStartError, MissingPrerequisiteError } from '../errors';
import { ownedLivePid, portAnswers, runToCompletion, stopProcess, waitUntil } from '../processes';
import type { LocalComponent } from './component';

/** Databases the stack creates: the warehouse, and the registry's own storage. */
export const STACK_DATABASES = ['pipeline', 'schema_registry'] as const;

/**
 * PostgreSQL from the machine's own binaries, with a data directory the stack owns.
 * The server refuses to run as root, so as root every server command runs as the
 * unprivileged `postgres` account (Debian creates it with the binaries).
 */
export class PostgresServer implements LocalComponent {
  readonly name = 'postgres' as const;
  readonly logFile: string;
  private readonly dataDir: string;
  private readonly serverUser: { name: string; uid: number; gid: number } | undefined;

  constructor(
    private readonly settings: StackSettings,
    private readonly binDir: () => string,
  ) {
    this.logFile = join(settings.stackDir, 'logs', 'postgres.log');
    this.dataDir = join(settings.stackDir, 'data', 'postgres');
    this.serverUser = runningAsRoot() ? postgresAccount() : undefined;
  }

  endpoint(): string {
    const { databaseUser, databasePassword, postgresPort, databaseName } = this.settings;
    return `postgres://${databaseUser}:${databasePassword}@127.0.0.1:${postgresPort}/${databaseName}`;
  }

  runningPid(): number | undefined {
    return ownedLivePid(join(this.dataDir, 'postmaster.pid'), this.dataDir);
  }

  async portTakenByOther(): Promise<boolean> {
    return this.runningPid() === undefined && (await portAnswers(this.settings.postgresPort));
  }

  async start(): Promise<void> {
    if (runningAsRoot() && !this.serverUser) {
      throw new MissingPrerequisiteError(
        `PostgreSQL refuses to run as root and there is no "postgres" account to run it as (running as ${userInfo().username}): create one (useradd -r postgres), run as another user, or set DATABASE_URL`,
      );
    }
    this.prepareDataDir();
    if (!existsSync(join(this.dataDir, 'PG_VERSION'))) this.initCluster();
    this.touchLogFile();
    const options = `-p ${this.settings.postgresPort} -c listen_addresses=127.0.0.1 -k ${this.dataDir}`;
    this.asServerUser(join(this.binDir(), 'pg_ctl'), ['-D', this.dataDir, '-l', this.logFile, '-o', options, '-w', '-t', '60', 'start']);
  }

  async waitReady(timeoutMs: number): Promise<void> {
    const { ready, lastError } = await waitUntil(async () => {
      await this.createDatabases();
      return true;
    }, timeoutMs);
    if (!ready) throw new ComponentStartError('postgres', lastError ?? `SQL did not answer within ${timeoutMs} ms`, this.logFile);
  }

  async stop(): Promise<void> {
    const pid = this.runningPid();
    // SIGINT is PostgreSQL's "fast" shutdown: roll back open sessions, checkpoint, exit.
    if (pid !== undefined) await stopProcess(pid, 60000, 'SIGINT');
  }

  /** JDBC settings for a co-located Apicurio Registry storing its schemas here. */
  registryStorage(): { url: string; user: string; password: string } {
    return {
      url: `jdbc:postgresql://127.0.0.1:${this.settings.postgresPort}/schema_registry`,
      user: this.settings.databaseUser,
      password: this.settings.databasePassword,
    };
  }

  private initCluster(): void {
    const pwFile = join(this.dataDir, '..', '.postgres-password');
    writeFileSync(pwFile, `${this.settings.databasePassword}\n`, { mode: 0o600 });
    this.chownToServerUser(pwFile);
    try {
      this.asServerUser(join(this.binDir(), 'initdb'), [
        '-D', this.dataDir,
        `--username=${this.settings.databaseUser}`,
        `--pwfile=${pwFile}`,
        '--auth-host=scram-sha-256',
        '--auth-local=trust',
        '--encoding=UTF8',
        '--locale=C',
      ]);
    } finally {
      rmSync(pwFile, { force: true });
    }
  }

  private async createDatabases(): Promise<void> {
    const { databaseUser, databasePassword, postgresPort } = this.settings;
    const client = new Client({ host: '127.0.0.1', port: postgresPort, user: databaseUser, password: databasePassword, database: 'postgres' });
    await client.connect();
    try {
      for (const database of STACK_DATABASES) {
        const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
        if (exists.rowCount === 0) await client.query(`CREATE DATABASE ${database}`);
      }
    } finally {
      await client.end();
    }
  }

  /**
   * As root, the data directory must be reachable by the postgres account. A clone
   * inside a private folder (mktemp -d is mode 700) is not, so the data then lives
   * under /var/tmp and .stack/data/postgres links to it.
   */
  private prepareDataDir(): void {
    mkdirSync(join(this.settings.stackDir, 'data'), { recursive: true });
    if (!this.serverUser || existsSync(this.dataDir)) return;
    mkdirSync(this.dataDir, { recursive: true, mode: 0o700 });
    this.chownToServerUser(this.dataDir);
    if (this.serverUserCanWrite(this.dataDir)) return;
    rmSync(this.dataDir, { recursive: true, force: true });
    const outside = join('/var/tmp', `pipeline-stack-${createHash('sha1').update(this.settings.stackDir).digest('hex').slice(0, 12)}`, 'postgres');
    mkdirSync(outside, { recursive: true, mode: 0o700 });
    this.chownToServerUser(join(outside, '..'));
    this.chownToServerUser(outside);
    symlinkSync(outside, this.dataDir);
  }

  private touchLogFile(): void {
    mkdirSync(join(this.settings.stackDir, 'logs'), { recursive: true });
    if (!existsSync(this.logFile)) writeFileSync(this.logFile, '');
    this.chownToServerUser(this.logFile);
    if (this.serverUser && !this.serverUserCanWrite(this.logFile)) {
      throw new ComponentStartError('postgres', `the postgres account cannot write ${this.logFile}; move STACK_DIR to a folder it can reach`);
    }
  }

  private serverUserCanWrite(path: string): boolean {
    if (!this.serverUser) return true;
    return spawnSync('runuser', ['-u', this.serverUser.name, '--', 'test', '-w', path], { stdio: 'ignore' }).status === 0;
  }

  private chownToServerUser(path: string): void {
    if (this.serverUser && !lstatSync(path).isSymbolicLink()) chownSync(path, this.serverUser.uid, this.serverUser.gid);
  }

  private asServerUser(command: string, args: string[]): string {
    if (!this.serverUser) return runToCompletion(command, args);
    return runToCompletion('runuser', ['-u', this.serverUser.name, '--', command, ...args]);
  }
}

function runningAsRoot(): boolean {
  return process.getuid?.() === 0;
}

/** The unprivileged account Debian's PostgreSQL packages create, if present. */
function postgresAccount(): { name: string; uid: number; gid: number } | undefined {
  const uid = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
  if (uid.status !== 0 || gid.status !== 0) return undefined;
  return { name: 'postgres', uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}
