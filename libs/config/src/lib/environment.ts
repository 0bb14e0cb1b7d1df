import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseEnv as parseDotEnv } from 'node:util';

/** Env files read after the process env (which always wins): a user's .env, then the local stack's endpoints. */
export const ENV_FILES: readonly string[] = ['.env', '.stack/stack.env'];

/** Raw settings as a service, CLI or tool sees them, before validation (parseEnv). */
export type RawEnvironment = Readonly<Record<string, string | undefined>>;

export interface EnvironmentSources {
  /** The process's own environment (default: process.env); it wins over every file. */
  processEnv?: Readonly<Record<string, string | undefined>>;
  /** Folder the env files are relative to (default: the working directory). */
  cwd?: string;
  files?: readonly string[];
}

/**
 * The one environment loader: the process env wins over a user's .env, which wins over the
 * local stack's .stack/stack.env. Called at start-up by the services (Nest provider), the
 * ingest-producer CLI and the tools; never at import. It reads, it does not write process.env:
 * validate the result with parseEnv and hand the typed settings on.
 */
export function loadEnvironment(sources: EnvironmentSources = {}): RawEnvironment {
  const cwd = sources.cwd ?? process.cwd();
  const fromFiles = (sources.files ?? ENV_FILES)
    .map((file) => resolve(cwd, file))
    .filter((file) => existsSync(file))
    .map((file) => parseDotEnv(readFileSync(file, 'utf8')));
  // Later sources win: the stack's file, then .env, then the process env.
  return Object.assign({}, ...fromFiles.reverse(), sources.processEnv ?? process.env) as RawEnvironment;
}
