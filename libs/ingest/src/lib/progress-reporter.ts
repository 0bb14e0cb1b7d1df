import { formatProgress, type ProgressSnapshot } from './publish/summary';

export interface ProgressReporterOptions {
  /** Where progress goes; a TTY gets one line redrawn in place. Default process.stderr. */
  stream?: NodeJS.WriteStream;
  /** Where progress goes when the stream is not a TTY (log files, containers). Default: a line on the stream. */
  log?: (line: string) => void;
  /** Minimum time between two reports, ms. Default 250 on a TTY, 10 s otherwise. */
  intervalMs?: number;
  now?: () => number;
}

/**
 * Shows a job's progress (rate, sent, dead-lettered): on a terminal one line redrawn in
 * place, otherwise a log line every few seconds. Feed it the job's `onProgress` snapshots.
 */
export class ProgressReporter {
  private readonly stream: NodeJS.WriteStream;
  private readonly interactive: boolean;
  private readonly intervalMs: number;
  private readonly now: () => number;
  private lastReport: { at: number; inputs: number; elapsedMs: number } | undefined;
  private drawn = false;

  constructor(private readonly options: ProgressReporterOptions = {}) {
    this.stream = options.stream ?? process.stderr;
    this.interactive = this.stream.isTTY === true && !options.log;
    this.intervalMs = options.intervalMs ?? (this.interactive ? 250 : 10_000);
    this.now = options.now ?? Date.now;
  }

  /** Reports the snapshot unless the previous report is too recent. */
  update(snapshot: ProgressSnapshot): void {
    const at = this.now();
    if (this.lastReport && at - this.lastReport.at < this.intervalMs) return;
    this.report(snapshot, at);
  }

  /** Reports the final snapshot (unless the last report already showed it) and ends the redrawn line. */
  finish(snapshot: ProgressSnapshot): void {
    const inputs = snapshot.produced + snapshot.deadLettered;
    if (this.interactive || this.lastReport?.inputs !== inputs) this.report(snapshot, this.now());
    if (this.drawn) this.stream.write('\n');
    this.drawn = false;
  }

  private report(snapshot: ProgressSnapshot, at: number): void {
    const inputs = snapshot.produced + snapshot.deadLettered;
    // The rate since the previous report: what the source does now, not its average.
    const previous = this.lastReport ?? { inputs: 0, elapsedMs: 0 };
    const seconds = (snapshot.elapsedMs - previous.elapsedMs) / 1000;
    const rate = seconds > 0 ? (inputs - previous.inputs) / seconds : 0;
    this.lastReport = { at, inputs, elapsedMs: snapshot.elapsedMs };
    const line = formatProgress(snapshot, rate);
    if (this.interactive) {
      // Carriage return + erase to end of line: one line that keeps its place.
      this.stream.write(`\r${line}\x1b[K`);
      this.drawn = true;
    } else if (this.options.log) {
      this.options.log(line);
    } else {
      this.stream.write(`${line}\n`);
    }
  }
}
