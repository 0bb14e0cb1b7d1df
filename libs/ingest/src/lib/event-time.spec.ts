import { EventTimeSyntaxError, loopShiftMs, parseInjectedTime, widenSpan, type EventTimeSpan } from './event-time';

describe('injected event time', () => {
  it('parses "now" and "<start>/<spacing>" with an ISO or epoch start', () => {
    expect(parseInjectedTime('now')).toEqual({ kind: 'now' });
    expect(parseInjectedTime('2024-03-01T00:00:00Z/250')).toEqual({ kind: 'synthetic', start: Date.parse('2024-03-01T00:00:00Z'), spacingMs: 250 });
    expect(parseInjectedTime('1709251200000/0')).toEqual({ kind: 'synthetic', start: 1709251200000, spacingMs: 0 });
  });

  it.each(['later', '2024-03-01T00:00:00Z', 'soon/100', '2024-03-01T00:00:00Z/-1', '2024-03-01T00:00:00Z/x'])('rejects "%s"', (text) => {
    expect(() => parseInjectedTime(text)).toThrow(EventTimeSyntaxError);
  });
});

describe('looping shifts event time forward', () => {
  const spanOf = (times: number[]) => times.reduce<EventTimeSpan | undefined>(widenSpan, undefined);

  it('by the span plus one average gap, so the next pass continues the timeline', () => {
    // 60 rows one second apart: pass 2 starts one second after pass 1 ended.
    const times = Array.from({ length: 60 }, (_, index) => 1_000_000 + index * 1000);
    expect(loopShiftMs(spanOf(times))).toBe(60_000);
  });

  it('measures the span by the earliest and latest time, whatever the row order', () => {
    expect(spanOf([5_000, 1_000, 3_000])).toEqual({ min: 1_000, max: 5_000, count: 3 });
    expect(loopShiftMs(spanOf([5_000, 1_000, 3_000]))).toBe(6_000);
  });

  it('always advances, even for one row or rows at one instant', () => {
    expect(loopShiftMs(undefined)).toBe(1);
    expect(loopShiftMs(spanOf([7]))).toBe(1);
    expect(loopShiftMs(spanOf([7, 7, 7]))).toBe(1);
  });
});
