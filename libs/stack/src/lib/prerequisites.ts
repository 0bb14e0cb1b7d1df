import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { MissingPrerequisiteError } from './errors';

function onPath(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

/** The java binary (JAVA_HOME first), checked to be 17 or newer. */
export function requireJava(env: NodeJS.ProcessEnv = process.env): string {
  const java = env['JAVA_HOME'] ? join(env['JAVA_HOME'], 'bin', 'java') : 'java';
  const probe = spawnSync(java, ['-version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new MissingPrerequisiteError('java not found: install JDK 17+ (or Docker, or set KAFKA_BROKERS and SCHEMA_REGISTRY_URL to existing services)');
  }
  const major = Number(/version "(\d+)/.exec(probe.stderr)?.[1] ?? '0');
  if (major < 17) throw new MissingPrerequisiteError(`java ${major} found, but the local Kafka and registry need JDK 17+`);
  return java;
}

export function requireMaven(): string {
  if (!onPath('mvn')) {
    throw new MissingPrerequisiteError('mvn not found: install Maven 3.8+ (it fetches the Kafka and Apicurio jars), or use Docker');
  }
  return 'mvn';
}

/** Directory of the PostgreSQL server binaries (initdb, pg_ctl, postgres). */
export function requirePostgresBinaries(env: NodeJS.ProcessEnv = process.env): string {
  const candidates: string[] = [];
  if (env['PG_BIN_DIR']) candidates.push(env['PG_BIN_DIR']);
  const debianRoot = '/usr/lib/postgresql';
  if (existsSync(debianRoot)) {
    const versions = readdirSync(debianRoot)
      .filter((name) => /^\d+$/.test(name))
      .sort((a, b) => Number(b) - Number(a));
    candidates.push(...versions.map((version) => join(debianRoot, version, 'bin')));
  }
  const pgConfig = spawnSync('pg_config', ['--bindir'], { encoding: 'utf8' });
  if (pgConfig.status === 0) candidates.push(pgConfig.stdout.trim());
  const found = candidates.find((dir) => existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl')));
  if (!found) {
    throw new MissingPrerequisiteError(
      'PostgreSQL server binaries (initdb, pg_ctl) not found: install them (Debian: apt-get install postgresql), set PG_BIN_DIR, use Docker, or set DATABASE_URL',
    );
  }
  return found;
}

export function dockerEngineAnswers(): boolean {
  if (!onPath('docker')) return false;
  return spawnSync('docker', ['info', '--format', '{{.ServerVersion}}'], { stdio: 'ignore', timeout: 5000 }).status === 0;
}
