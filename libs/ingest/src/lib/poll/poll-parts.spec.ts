import { sensorReading } from '@pipeline/contracts';
import { FIXTURE_MAPPING, fixtureReading } from './fixture-api';
import { JsonPointerError, resolvePointer } from './json-pointer';
import { ItemMapping, PollConfigError } from './poll-api';
import { nextLinkOf, parseRetryAfter } from './poll-http';
import { PollState } from './poll-state';

describe('poll building blocks', () => {
  it('resolves RFC 6901 pointers, escapes included', () => {
    const document = { a: { 'b/c': [10, { 'd~e': 'x' }] }, '': 1 };
    expect(resolvePointer(document, '/a/b~1c/1/d~0e')).toBe('x');
    expect(resolvePointer(document, '/a/b~1c/01')).toBeUndefined();
    expect(resolvePointer(document, '/')).toBe(1);
    expect(resolvePointer(document, '')).toBe(document);
    expect(() => resolvePointer(document, 'a')).toThrow(JsonPointerError);
  });

  it('reads Retry-After and Link rel=next', () => {
    expect(parseRetryAfter('2', 0)).toBe(2000);
    expect(parseRetryAfter('Thu, 01 Jan 1970 00:00:05 GMT', 1000)).toBe(4000);
    expect(parseRetryAfter('soon', 0)).toBeUndefined();
    expect(nextLinkOf('</p?page=1>; rel="prev", </p?page=3>; rel="next"', 'http://h/p?page=2')).toBe('http://h/p?page=3');
    expect(nextLinkOf('<http://h/x>; rel=last', 'http://h/')).toBeUndefined();
  });

  it('maps an item onto the contract and refuses an incomplete mapping at once', () => {
    const mapping = new ItemMapping(sensorReading, FIXTURE_MAPPING);
    const admission = mapping.admit(fixtureReading(1));
    expect(admission).toMatchObject({ accepted: true, value: { sensorId: 'sensor-1', timestamp: Date.parse('2024-03-01T00:00:01Z'), location: { latitude: 52.37 } } });
    expect(mapping.admit({ ...fixtureReading(2), battery: 7 })).toMatchObject({ accepted: false, reason: expect.stringContaining('batteryLevel') });
    expect(() => new ItemMapping(sensorReading, { eventId: '/id', fields: { sensorId: '/s', colour: '/c' } })).toThrow(PollConfigError);
  });

  it('commits the resume point and ids of the inputs written, not of those still pending', () => {
    const state = new PollState({ next: 'u1' }, [], 3);
    state.beginCycle();
    state.handOver('a', { next: 'u1' });
    state.handOver('b', { next: 'u2' });
    state.handOver('c', { next: 'u2' });
    expect(state.positionAt(1)).toEqual({ next: 'u1', seen: ['a'] });
    expect(state.positionAt(2)).toEqual({ next: 'u2', seen: ['a', 'b'] });
    expect(state.seen.has('c')).toBe(true);
  });
});
