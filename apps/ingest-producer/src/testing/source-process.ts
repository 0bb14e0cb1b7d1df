/**
 * The ingest-producer as a child process, run from source (like `npm run ingest`), for tests
 * that kill it (SIGKILL) or start it against unreachable dependencies.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { INGEST_PRODUCER_NODE_FLAGS } from '@pipeline/stack';

export const REPO_ROOT = join(__dirname, '../../../..');

export interface SourceProcess {
  readonly child: ChildProcess;
  /** Everything written to stdout / stderr so far. */
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (null when killed by a signal). */
  readonly exited: Promise<number | null>;
  /** Resolves when stderr holds `text` (rejects if the process exits first). */
  waitForStderr(text: string | RegExp): Promise<void>;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

export function startFromSource(args: readonly string[], env: Record<string, string>): SourceProcess {
  const child = spawn(process.execPath, [...INGEST_PRODUCER_NODE_FLAGS, '-r', '@swc-node/register', '-r', 'tsconfig-paths/register', 'apps/ingest-producer/src/main.ts', ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, TS_NODE_PROJECT: 'tsconfig.base.json', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  const listeners = new Set<() => void>();
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => {
    err += chunk.toString();
    for (const listener of listeners) listener();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const matches = (text: string | RegExp) => (typeof text === 'string' ? err.includes(text) : text.test(err));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitForStderr: (text) =>
      new Promise<void>((resolve, reject) => {
        if (matches(text)) return resolve();
        const check = () => {
          if (!matches(text)) return;
          listeners.delete(check);
          resolve();
        };
        listeners.add(check);
        void exited.then((code) => {
          listeners.delete(check);
          if (!matches(text)) reject(new Error(`exited (${code}) before writing ${String(text)}; stderr:\n${err.slice(-2000)}`));
        });
      }),
    kill: async (signal = 'SIGKILL') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}
