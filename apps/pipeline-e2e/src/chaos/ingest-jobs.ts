/**
 * The ingest-producer as the chaos suite runs it: one resumable CSV replay job per domain, each a
 * process of the built bundle (`main.js replay …`). A job killed by a fault (or ending on its own
 * with an error) is run again with the same command, so the same job id: it resumes after its last
 * committed row. Its last run's summary gives the totals of all runs (read = produced + dead-lettered).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync, closeSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { INGEST_PRODUCER_NODE_FLAGS } from '@pipeline/stack';
import type { DomainInput } from './chaos-inputs';
import { sleep } from '../support/wait';

export interface JobTotals {
  read: number;
  produced: number;
  deadLettered: number;
}

/** The "all runs" totals of a resumable job's summary (`… all runs: 1,234 read = 1,200 produced + 34 dead-lettered, …`). */
export function parseJobTotals(summary: string): JobTotals | undefined {
  const match = /all runs: ([\d,]+) read = ([\d,]+) produced \+ ([\d,]+) dead-lettered/.exec(summary);
  if (!match) return undefined;
  const number = (text: string | undefined) => Number((text ?? '').replace(/,/g, ''));
  return { read: number(match[1]), produced: number(match[2]), deadLettered: number(match[3]) };
}

export class IngestJob {
  runs = 0;
  /** How earlier runs ended, e.g. `SIGKILL` (a fault) or `exit 1` (on its own). */
  readonly endings: string[] = [];
  totals: JobTotals | undefined;
  done = false;
  private child: ChildProcess | undefined;
  private stopped = false;
  private readonly logFile: string;

  constructor(
    readonly input: DomainInput,
    private readonly options: { repoRoot: string; logDir: string; jobId: string; ratePerSecond: number; env: NodeJS.ProcessEnv },
  ) {
    this.logFile = join(options.logDir, `ingest-${input.domain}.log`);
  }

  get running(): boolean {
    return this.child !== undefined;
  }

  /** Runs the job (again and again, resuming) until one run exits 0 or `stop()`. */
  async runToEnd(): Promise<void> {
    mkdirSync(dirname(this.logFile), { recursive: true });
    while (!this.done && !this.stopped) {
      this.runs += 1;
      const { code, signal, stdout } = await this.runOnce();
      if (code === 0) {
        this.totals = parseJobTotals(stdout);
        if (!this.totals) throw new Error(`ingest job ${this.options.jobId} ended without its totals; its output:\n${stdout}`);
        this.done = true;
        return;
      }
      this.endings.push(signal ?? `exit ${code}`);
      if (!this.stopped) await sleep(500);
    }
  }

  /** kill -9 the running process (returns false when none runs); `runToEnd` starts it again. */
  kill(): boolean {
    if (!this.child) return false;
    this.child.kill('SIGKILL');
    return true;
  }

  stop(): void {
    this.stopped = true;
    this.kill();
  }

  private runOnce(): Promise<{ code: number | null; signal: string | null; stdout: string }> {
    const args = [
      ...INGEST_PRODUCER_NODE_FLAGS,
      join(this.options.repoRoot, 'dist', 'apps', 'ingest-producer', 'main.js'),
      'replay',
      '--file',
      this.input.file,
      '--domain',
      this.input.domain,
      '--pace',
      `rate:${this.options.ratePerSecond}`,
      '--job-id',
      this.options.jobId,
      '--heartbeat-ms',
      '200',
    ];
    const log = openSync(this.logFile, 'a');
    writeSync(log, `--- run ${this.runs} of ${this.options.jobId} at ${new Date().toISOString()}\n`);
    const child = spawn(process.execPath, args, { cwd: this.options.repoRoot, env: this.options.env, stdio: ['ignore', 'pipe', log] });
    this.child = child;
    let stdout = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
      writeSync(log, chunk);
    });
    return new Promise((resolve) => {
      child.once('close', (code, signal) => {
        this.child = undefined;
        closeSync(log);
        resolve({ code, signal, stdout });
      });
    });
  }
}
