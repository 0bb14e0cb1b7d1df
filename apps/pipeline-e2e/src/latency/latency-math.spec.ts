import { distribution, firstAtOrAfter, histogramMeans, msUntilSecondOfMinute, percentile, slowAlertsLine, WatermarkTimeline } from './latency-math';

describe('WatermarkTimeline', () => {
  it('closes a window with the first record of its partition whose event time reaches end + grace + maxOutOfOrderness', () => {
    const timeline = new WatermarkTimeline();
    // Partition 0: event times 10 s, 70 s, 74.999 s, then a late one, then 75 s (the close), 80 s.
    timeline.add(0, 10_000, 1_000);
    timeline.add(0, 70_000, 2_000);
    timeline.add(0, 74_999, 3_000);
    timeline.add(0, 60_000, 3_500); // behind: moves nothing
    timeline.add(0, 75_000, 4_000);
    timeline.add(0, 80_000, 5_000);
    // Window [0, 60 s) with 10 s grace and 5 s out-of-orderness: due when the highest event time reaches 75 s.
    expect(timeline.closeTime(0, 60_000, 15_000)).toBe(4_000);
    expect(timeline.closeTime(0, 50_000, 15_000)).toBe(2_000);
    // Not reached yet, or a partition that saw nothing: not closed.
    expect(timeline.closeTime(0, 120_000, 15_000)).toBeUndefined();
    expect(timeline.closeTime(1, 60_000, 15_000)).toBeUndefined();
  });

  it('counts only its own partition and treats a heartbeat time like an event time', () => {
    const timeline = new WatermarkTimeline();
    timeline.add(1, 100_000, 7_000);
    timeline.add(0, 20_000, 8_000);
    timeline.add(0, 75_000, 9_000); // a heartbeat at 75 s
    expect(timeline.closeTime(0, 60_000, 15_000)).toBe(9_000);
    expect(timeline.closeTime(1, 60_000, 15_000)).toBe(7_000);
  });

  it('keeps the first record of equal event times (the one that moved the watermark)', () => {
    const timeline = new WatermarkTimeline();
    timeline.add(0, 75_000, 1_000);
    timeline.add(0, 75_000, 2_000);
    expect(timeline.reached(0, 75_000)).toBe(1_000);
  });
});

describe('percentiles', () => {
  it('are nearest-rank', () => {
    const sorted = Array.from({ length: 100 }, (_, index) => index + 1);
    expect(percentile(sorted, 50)).toBe(50);
    expect(percentile(sorted, 99)).toBe(99);
    expect(percentile(sorted, 100)).toBe(100);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([1, 2, 3], 50)).toBe(2);
    expect(percentile([], 50)).toBeNaN();
  });

  it('sorts the samples numerically, whatever their order', () => {
    expect(distribution([300, 20, 1000, 5])).toEqual({ count: 4, p50: 20, p95: 1000, p99: 1000, max: 1000 });
    expect(distribution([]).count).toBe(0);
  });
});

describe('firstAtOrAfter', () => {
  it('finds the commit that made a record visible', () => {
    const commits = [100, 350, 600];
    expect(firstAtOrAfter(commits, 120)).toBe(350);
    expect(firstAtOrAfter(commits, 350)).toBe(350);
    expect(firstAtOrAfter(commits, 50)).toBe(100);
    expect(firstAtOrAfter(commits, 601)).toBeUndefined();
  });
});

describe('msUntilSecondOfMinute', () => {
  it('waits for the next such second', () => {
    const minute = Date.UTC(2026, 10, 29, 23, 34);
    expect(msUntilSecondOfMinute(minute + 10_000, 25)).toBe(15_000);
    expect(msUntilSecondOfMinute(minute + 25_000, 25)).toBe(0);
    expect(msUntilSecondOfMinute(minute + 30_500, 25)).toBe(54_500);
  });
});

describe('histogramMeans', () => {
  it('gives each series its count and mean in ms', () => {
    const text = [
      '# TYPE pipeline_stream_batch_duration_seconds histogram',
      'pipeline_stream_batch_duration_seconds_bucket{le="0.1",group="a"} 3',
      'pipeline_stream_batch_duration_seconds_sum{group="a"} 0.5',
      'pipeline_stream_batch_duration_seconds_count{group="a"} 4',
      'pipeline_stream_batch_duration_seconds_sum{group="b"} 0',
      'pipeline_stream_batch_duration_seconds_count{group="b"} 0',
    ].join('\n');
    expect(histogramMeans(text, 'pipeline_stream_batch_duration_seconds')).toEqual([{ labels: '{group="a"}', count: 4, meanMs: 125 }]);
  });
});

describe('slowAlertsLine', () => {
  it('names the seconds of the run that hold the most slow alerts', () => {
    const stall = Array.from({ length: 40 }, (_, index) => 3_000 + index * 20);
    expect(slowAlertsLine([...stall, 41_500, 41_900, 7_100])).toBe('alerts produced ≥ 500 ms after visible: 43, at +3 s (40), +41 s (2), +7 s (1)');
    expect(slowAlertsLine([1_000, 2_000, 3_000], 2)).toBe('alerts produced ≥ 500 ms after visible: 3, at +1 s (1), +2 s (1) and 1 more seconds');
  });
});
