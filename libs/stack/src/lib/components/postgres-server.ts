import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { chownSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import { Client } from 'pg';
import type { StackSettings } from '../stack-settings';
import { ComponentStartError, MissingPrerequisiteError } from '../errors';
import { ownedLivePid, portAnswers, stopProcess, waitUntil } from '../processes';
import type { LocalComponent } from './component';

/** Databases the stack creates: the warehouse, and the registry's own storage. */
export const STACK_DATABASES = ['pipeline', 'schema_registry'] as const;

interface ServerAccount {
  name: string;
  uid: number;
  gid: number;
}

/**
 * PostgreSQL from the machine's own binaries, with a data directory the stack owns.
 * The server refuses to run as root, so as root every server command runs as the
 * unprivileged `postgres` account (Debian creates it with the binaries).
 */
export class PostgresServer implements LocalComponent {
  readonly name = 'postgres' as const;
  readonly logFile: string;
  private readonly dataLink: string;
  private readonly account: ServerAccount | undefined;

  constructor(
    private readonly settings: StackSettings,
    private readonly binDir: () => string,
  ) {
    this.logFile = join(settings.stackDir, 'logs', 'postgres.log');
    this.dataLink = join(settings.stackDir, 'data', 'postgres');
    this.account = runningAsRoot() ? postgresAccount() : undefined;
  }

  endpoint(): string {
    const { databaseUser, databasePassword, postgresPort, databaseName } = this.settings;
    return `postgres://${databaseUser}:${databasePassword}@127.0.0.1:${postgresPort}/${databaseName}`;
  }

  /** The real data directory (.stack/data/postgres may be a link to it, see prepareDataDir). */
  private dataDir(): string {
    return existsSync(this.dataLink) ? realpathSync(this.dataLink) : this.dataLink;
  }

  runningPid(): number | undefined {
    const dataDir = this.dataDir();
    return ownedLivePid(join(dataDir, 'postmaster.pid'), dataDir);
  }

  async portTakenByOther(): Promise<boolean> {
    return this.runningPid() === undefined && (await portAnswers(this.settings.postgresPort));
  }

  async start(): Promise<void> {
    if (runningAsRoot() && !this.account) {
      throw new MissingPrerequisiteError(
        `PostgreSQL refuses to run as root and there is no "postgres" account to run it as (running as ${userInfo().username}): create one (useradd -r postgres), run as another user, or set DATABASE_URL`,
      );
    }
    const dataDir = this.prepareDataDir();
    if (!existsSync(join(dataDir, 'PG_VERSION'))) this.initCluster(dataDir);
    const options = `-p ${this.settings.postgresPort} -c listen_addresses=127.0.0.1 -k ${dataDir}`;
    this.asServerAccount('pg_ctl', ['-D', dataDir, '-o', options, '-w', '-t', '60', 'start']);
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

  private initCluster(dataDir: string): void {
    // initdb reads the superuser password from a file the server account can read; it lives only for this call.
    const scratch = mkdtempSync(join(tmpdir(), 'pipeline-initdb-'));
    const passwordFile = join(scratch, 'password');
    writeFileSync(passwordFile, `${this.settings.databasePassword}\n`, { mode: 0o600 });
    try {
      if (this.account) {
        chownSync(scratch, this.account.uid, this.account.gid);
        chownSync(passwordFile, this.account.uid, this.account.gid);
      }
      const { databaseUser } = this.settings;
      this.asServerAccount('initdb', ['-D', dataDir, `--username=${databaseUser}`, `--pwfile=${passwordFile}`, '--auth-host=scram-sha-256', '--auth-local=trust', '--encoding=UTF8', '--locale=C']);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
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
  private prepareDataDir(): string {
    mkdirSync(dirname(this.dataLink), { recursive: true });
    if (existsSync(this.dataLink)) return this.dataDir();
    mkdirSync(this.dataLink, { mode: 0o700 });
    if (!this.account) return this.dataLink;
    chownSync(this.dataLink, this.account.uid, this.account.gid);
    if (this.serverAccountCanWrite(this.dataLink)) return this.dataLink;
    rmSync(this.dataLink, { recursive: true, force: true });
    const home = join('/var/tmp', `pipeline-stack-${createHash('sha1').update(this.settings.stackDir).digest('hex').slice(0, 12)}`);
    const outside = join(home, 'postgres');
    mkdirSync(outside, { recursive: true, mode: 0o700 });
    chownSync(home, this.account.uid, this.account.gid);
    chownSync(outside, this.account.uid, this.account.gid);
    symlinkSync(outside, this.dataLink);
    return outside;
  }

  private serverAccountCanWrite(path: string): boolean {
    if (!this.account) return true;
    return spawnSync('runuser', ['-u', this.account.name, '--', 'test', '-w', path], { stdio: 'ignore' }).status === 0;
  }

  /**
   * Runs a server binary (as the postgres account when root). Output goes to the
   * stack's log through a descriptor opened here, so the account needs no write
   * access to .stack/logs; the started server keeps writing its log there.
   */
  private asServerAccount(binary: string, args: string[]): void {
    const command = join(this.binDir(), binary);
    const [file, argv] = this.account ? ['runuser', ['-u', this.account.name, '--', command, ...args]] : [command, args];
    mkdirSync(dirname(this.logFile), { recursive: true });
    const log = openSync(this.logFile, 'a');
    try {
      const result = spawnSync(file, argv, { cwd: '/', stdio: ['ignore', log, log] });
      if (result.error) throw new ComponentStartError('postgres', `${binary} could not run: ${result.error.message}`, this.logFile);
      if (result.status !== 0) throw new ComponentStartError('postgres', `${binary} exited with ${result.status}`, this.logFile);
    } finally {
      closeSync(log);
    }
  }
}

function runningAsRoot(): boolean {
  return process.getuid?.() === 0;
}

/** The unprivileged account Debian's PostgreSQL packages create, if present. */
function postgresAccount(): ServerAccount | undefined {
  const uid = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
  if (uid.status !== 0 || gid.status !== 0) return undefined;
  return { name: 'postgres', uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}
