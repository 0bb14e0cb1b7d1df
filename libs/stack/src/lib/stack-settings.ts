import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/** Ports and locations of the local stack; every value can be moved by env. */
export interface StackSettings {
  repoRoot: string;
  /** The one git-ignored folder holding downloads, data, logs and pid files. */
  stackDir: string;
  /**
   * The Kafka and Apicurio jars (resolved by Maven into `<dir>/kafka-*` and `<dir>/apicurio-*`). A second
   * stack instance (the chaos suite's) points here at the first one's, so Maven runs once per machine.
   */
  distDir: string;
  kafkaPort: number;
  kafkaControllerPort: number;
  /** The broker's second listener: SASL_SSL (SCRAM-SHA-256/512 and PLAIN) with a certificate of the stack's own CA. */
  kafkaSaslSslPort: number;
  registryPort: number;
  postgresPort: number;
  databaseName: string;
  /** The login that owns the warehouse database and migrates it (no SUPERUSER, CREATEROLE or CREATEDB): DATABASE_URL's. */
  databaseUser: string;
  databasePassword: string;
  /** The cluster's superuser: only the stack itself signs in as it, to create databases and roles. */
  databaseAdminUser: string;
  databaseAdminPassword: string;
}

export function findRepoRoot(start: string = __dirname): string {
  let dir = resolve(start);
  while (!existsSync(join(dir, 'nx.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no nx.json found above ${start}: run the stack from inside the repository`);
    dir = parent;
  }
  return dir;
}

function port(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > 65535) {
    throw new Error(`${name} must be a TCP port (1-65535), got "${raw}"`);
  }
  return value;
}

export function stackSettings(env: NodeJS.ProcessEnv = process.env): StackSettings {
  const repoRoot = findRepoRoot();
  const stackDir = resolve(env['STACK_DIR'] ?? join(repoRoot, '.stack'));
  return {
    repoRoot,
    stackDir,
    distDir: resolve(env['STACK_DIST_DIR'] || join(stackDir, 'dist')),
    kafkaPort: port(env, 'STACK_KAFKA_PORT', 9092),
    kafkaControllerPort: port(env, 'STACK_KAFKA_CONTROLLER_PORT', 9093),
    kafkaSaslSslPort: port(env, 'STACK_KAFKA_SASL_SSL_PORT', 9094),
    registryPort: port(env, 'STACK_REGISTRY_PORT', 8081),
    postgresPort: port(env, 'STACK_POSTGRES_PORT', 5432),
    databaseName: 'pipeline',
    databaseUser: 'pipeline',
    // LOCAL_DEFAULT_PASSWORDS.databaseOwner of libs/config (the spec checks): the Jest global setup
    // loads this file before path aliases are registered, so it cannot import it.
    databasePassword: 'pipeline',
    databaseAdminUser: 'stack_admin',
    databaseAdminPassword: 'stack-admin-local',
  };
}

/**
 * The account of the local SASL_SSL listener (SCRAM-SHA-256, SCRAM-SHA-512 and PLAIN). A local
 * test account, not a secret: it is written to stack.env for the tests, like the database password.
 */
export const LOCAL_KAFKA_SASL_USER = { username: 'pipeline', password: 'pipeline-sasl-secret' } as const;
