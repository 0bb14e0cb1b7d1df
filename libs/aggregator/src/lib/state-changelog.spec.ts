import { ChangelogCorruptError, changelogKey, changelogTopic, decodeStageSnapshots, encodeStageSnapshots } from './state-changelog';

describe('state changelog', () => {
  it('is a compacted topic with one partition per input partition', () => {
    const topic = changelogTopic('stream-aggregator', 6);
    expect(topic).toMatchObject({ topic: 'stream-aggregator.state-changelog', partitions: 6 });
    expect(topic.config?.['cleanup.policy']).toBe('compact');
  });

  it('round-trips the snapshots of every stage', () => {
    const snapshots = { 'iot-sensor-1m': new Uint8Array([1, 2, 3]), 'iot-sensor-5m-hopping': new Uint8Array([]) };
    expect(decodeStageSnapshots('k', encodeStageSnapshots(snapshots))).toEqual(snapshots);
  });

  it('names the record it cannot read', () => {
    expect(() => decodeStageSnapshots(changelogKey('iot', 3), Buffer.from('{"version":2}'))).toThrow(ChangelogCorruptError);
    expect(() => decodeStageSnapshots(changelogKey('iot', 3), Buffer.from('not json'))).toThrow(/iot\|3/);
  });
});
