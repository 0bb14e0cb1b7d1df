import { ProgressReporter } from './progress-reporter';
import { formatProgress, formatSummary, type IngestSummary, type ProgressSnapshot } from './publish/summary';

const snapshot: ProgressSnapshot = {
  source: 'clicks.csv',
  topic: 'clickstream.events',
  read: 1_234_567,
  produced: 1_200_000,
  deadLettered: 34_567,
  heartbeatRounds: 27,
  elapsedMs: 83_400,
  maxEventTime: Date.parse('2024-03-01T10:00:00Z'),
};

describe('progress formatting', () => {
  it('shows source, counts, rate, event time and elapsed time on one line', () => {
    expect(formatProgress(snapshot, 14_812.4)).toBe(
      'clicks.csv → clickstream.events · 1,234,567 read · 1,200,000 produced · 34,567 dead-lettered · 14,812/s · event time 2024-03-01T10:00:00.000Z · 1:23',
    );
    expect(formatProgress({ ...snapshot, maxEventTime: undefined, elapsedMs: 3_723_000 }, 0)).toContain('event time - · 1:02:03');
  });

  it('summarises a run: reconciled or not, and how it ended', () => {
    const summary: IngestSummary = { ...snapshot, deadLetterTopic: 'pipeline.dead-letter', minEventTime: 0, endOfInput: true, stopped: false, ratePerSecond: 14_803, reconciled: true };
    const text = formatSummary(summary);
    expect(text).toContain('reconciled: 1,234,567 read = 1,200,000 produced + 34,567 dead-lettered');
    expect(text).toContain('27 rounds, the last at END_OF_INPUT');
    expect(formatSummary({ ...summary, produced: 1, reconciled: false, endOfInput: false, stopped: true })).toMatch(/NOT reconciled[\s\S]*stopped before the end of the source/);
  });
});

/** A stand-in terminal or log file: only what was written matters. */
function stream(isTTY: boolean): NodeJS.WriteStream & { written: string[] } {
  const written: string[] = [];
  return Object.assign(Object.create(process.stderr) as NodeJS.WriteStream, { isTTY, written, write: (chunk: string) => written.push(chunk) > 0 });
}

describe('progress reporter', () => {
  it('redraws one line in place on a terminal, at most every interval, and ends it with a newline', () => {
    let now = 0;
    const terminal = stream(true);
    const reporter = new ProgressReporter({ stream: terminal, intervalMs: 250, now: () => now });
    reporter.update({ ...snapshot, produced: 100, deadLettered: 0, elapsedMs: 1_000 });
    now = 100;
    reporter.update({ ...snapshot, produced: 150, deadLettered: 0, elapsedMs: 1_100 });
    now = 300;
    reporter.update({ ...snapshot, produced: 400, deadLettered: 100, elapsedMs: 1_500 });
    reporter.finish({ ...snapshot, elapsedMs: 2_000 });
    expect(terminal.written).toHaveLength(4);
    expect(terminal.written[0]?.startsWith('\r')).toBe(true);
    expect(terminal.written[0]?.endsWith('\u001b[K')).toBe(true);
    // 400 records in the 0.5 s since the previous report.
    expect(terminal.written[1]).toContain('800/s');
    expect(terminal.written.at(-1)).toBe('\n');
  });

  it('writes a log line per interval when the output is not a terminal', () => {
    let now = 0;
    const lines: string[] = [];
    const reporter = new ProgressReporter({ stream: stream(false), log: (line) => lines.push(line), now: () => now });
    reporter.update(snapshot);
    now = 5_000;
    reporter.update(snapshot);
    now = 10_000;
    reporter.update(snapshot);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toContain('1,200,000 produced');
  });
});
