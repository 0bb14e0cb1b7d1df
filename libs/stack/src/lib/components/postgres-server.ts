import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { chownSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import { Client } from 'pg';
import type { StackSettings } from '../stack-settings';
import { ComponentStartError, MissingPrerequisiteError } from '../errors';
import { ownedLivePid, portAnswers, stopProcess, waitUntil } from '../processes';
import type { LocalComponent } from './component';

/** Databases the stack creates: the warehouse, and the registry's own storage. */
export const STACK_DATABASES = ['pipeline', 'schema_registry'] as const;

/** First line of the pg_hba.conf the stack writes; a data directory without it is from before issue #9. */
const HBA_MARKER = '# pipeline stack pg_hba v2: scram-sha-256 everywhere, no trust';

/**
 * Every connection, TCP or local socket, signs in with a SCRAM password: no `trust`, so a local
 * process cannot become the superuser (or any role) without its password.
 */
const PG_HBA = [
  HBA_MARKER,
  '# TYPE  DATABASE  USER  ADDRESS       METHOD',
  'local   all       all                 scram-sha-256',
  'host    all       all   127.0.0.1/32  scram-sha-256',
  'host    all       all   ::1/128       scram-sha-256',
  '',
].join('\n');

/** A data directory from an older stack (trust on the socket, the services' login a superuser) cannot be upgraded in place. */
export const LEGACY_DATA_DIR_FIX = 'npm run stack:down && rm -rf .stack/data && npm run stack:up';

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
    this.refuseLegacyDataDir(dataDir);
    const options = `-p ${this.settings.postgresPort} -c listen_addresses=127.0.0.1 -k ${dataDir}`;
    this.asServerAccount('pg_ctl', ['-D', dataDir, '-o', options, '-w', '-t', '60', 'start']);
  }

  async waitReady(timeoutMs: number): Promise<void> {
    // A server an older stack started is refused here too, before anything signs in to it.
    this.refuseLegacyDataDir(this.dataDir());
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

  /**
   * The previous layout made the services' login `pipeline` the bootstrap superuser, which cannot be
   * demoted, and trusted the local socket: refuse it with the one command that starts afresh.
   */
  private refuseLegacyDataDir(dataDir: string): void {
    const hba = join(dataDir, 'pg_hba.conf');
    if (!existsSync(hba)) return;
    if (readFileSync(hba, 'utf8').startsWith(HBA_MARKER)) return;
    throw new ComponentStartError(
      'postgres',
      `the data directory ${dataDir} is from an older stack (the services' login is its superuser and local connections are trusted); recreate it: ${LEGACY_DATA_DIR_FIX} (the warehouse tables and registered schemas are recreated)`,
      this.logFile,
    );
  }

  private initCluster(dataDir: string): void {
    // initdb reads the superuser password from a file the server account can read; it lives only for this call.
    const scratch = mkdtempSync(join(tmpdir(), 'pipeline-initdb-'));
    const passwordFile = join(scratch, 'password');
    writeFileSync(passwordFile, `${this.settings.databaseAdminPassword}\n`, { mode: 0o600 });
    try {
      if (this.account) {
        chownSync(scratch, this.account.uid, this.account.gid);
        chownSync(passwordFile, this.account.uid, this.account.gid);
      }
      const { databaseAdminUser } = this.settings;
      this.asServerAccount('initdb', [
        '-D',
        dataDir,
        `--username=${databaseAdminUser}`,
        `--pwfile=${passwordFile}`,
        '--auth-host=scram-sha-256',
        '--auth-local=scram-sha-256',
        '--encoding=UTF8',
        '--locale=C',
      ]);
      this.writeServerFile(join(dataDir, 'pg_hba.conf'), PG_HBA);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  }

  /** A file in the data directory, owned by the server account like the rest of it. */
  private writeServerFile(path: string, content: string): void {
    writeFileSync(path, content, { mode: 0o600 });
    if (this.account) chownSync(path, this.account.uid, this.account.gid);
  }

  /**
   * As the stack's superuser: the owner login, the databases it owns, and the warehouse's roles
   * (writer, reader, the BI login with its statement timeout, the sink login, no TEMP for others), idempotently.
   * An existing login's password is never reset here.
   */
  private async createDatabases(): Promise<void> {
    const { databaseAdminUser, databaseAdminPassword, databaseUser, databasePassword, databaseName, postgresPort } = this.settings;
    const client = new Client({ host: '127.0.0.1', port: postgresPort, user: databaseAdminUser, password: databaseAdminPassword, database: 'postgres' });
    await client.connect();
    try {
      const owner = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [databaseUser]);
      if (owner.rowCount === 0) {
        const create = await client.query<{ statement: string }>(`SELECT format('CREATE ROLE %I LOGIN PASSWORD %L', $1::text, $2::text) AS statement`, [databaseUser, databasePassword]);
        const statement = create.rows[0]?.statement;
        if (statement) await client.query(statement).catch((error: unknown) => ignoreDuplicate(error));
      }
      for (const database of STACK_DATABASES) {
        const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
        if (exists.rowCount === 0) await client.query(`CREATE DATABASE ${database} OWNER ${databaseUser}`).catch((error: unknown) => ignoreDuplicate(error));
      }
      // Loaded here, not at import: the warehouse lib brings TypeORM (about 30 MiB), which a process that only
      // reads the stack's settings (a benchmark measuring its own memory) does not need.
      const { DEFAULT_BI_READER_PASSWORD, DEFAULT_WAREHOUSE_SINK_PASSWORD, warehouseRoleStatements } = await import('@pipeline/warehouse');
      const roles = warehouseRoleStatements({ database: databaseName, owner: databaseUser, biReaderPassword: DEFAULT_BI_READER_PASSWORD, sinkPassword: DEFAULT_WAREHOUSE_SINK_PASSWORD });
      for (const statement of roles) await client.query(statement);
      // The registry's storage is the owner's alone; nobody else needs to connect to it or to the maintenance database.
      await client.query(`ALTER DATABASE schema_registry OWNER TO ${databaseUser}`);
      await client.query('REVOKE CONNECT, TEMPORARY ON DATABASE schema_registry FROM PUBLIC');
      await client.query('REVOKE CONNECT, TEMPORARY ON DATABASE postgres FROM PUBLIC');
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

/** Two stacks' `up` may create the same role or database at once; the loser's error is no error. */
function ignoreDuplicate(error: unknown): void {
  const code = (error as { code?: unknown }).code;
  if (code === '42710' || code === '42P04' || code === '23505') return;
  throw error;
}
