import { TopicNamespace } from '@pipeline/contracts';
import { changelogTopic, clockKey, keyStateKey, parseChangelogKey, PartitionStateImage, POSITION_KEY } from './state-changelog';

describe('state changelog', () => {
  it('is a compacted topic with one partition per input partition', () => {
    const topic = changelogTopic(TopicNamespace.none, 'stream-aggregator', 6);
    expect(topic).toMatchObject({ topic: 'stream-aggregator.state-changelog', partitions: 6 });
    expect(topic.config?.['cleanup.policy']).toBe('compact');
  });

  it('keys one record per stage and group key, and one clock per stage', () => {
    expect(parseChangelogKey(keyStateKey('iot-1m', 'sensor|1'))).toEqual({ stage: 'iot-1m', kind: 'key', groupKey: 'sensor|1' });
    expect(parseChangelogKey(clockKey('iot-1m'))).toEqual({ stage: 'iot-1m', kind: 'clock' });
    expect(parseChangelogKey('no separator')).toBeUndefined();
  });

  it('keeps the newest value per key and forgets tombstoned keys', () => {
    const image = new PartitionStateImage();
    image.apply(keyStateKey('s', 'a'), Buffer.from([1]));
    image.apply(keyStateKey('s', 'b'), Buffer.from([2]));
    image.apply(keyStateKey('s', 'a'), Buffer.from([3]));
    image.apply(keyStateKey('s', 'b'), null);
    image.apply(clockKey('s'), Buffer.from([9]));
    expect([...(image.keys.get('s') ?? new Map()).entries()]).toEqual([['a', new Uint8Array([3])]]);
    expect(image.clocks.get('s')).toEqual(new Uint8Array([9]));
  });
});

describe('PartitionStateImage position', () => {
  it('keeps the newest input position written with the state, and forgets it on a tombstone', () => {
    const image = new PartitionStateImage();
    expect(image.position).toBeUndefined();
    image.apply(POSITION_KEY, Buffer.from('120'));
    image.apply(POSITION_KEY, Buffer.from('245'));
    expect(image.position).toBe('245');
    image.apply(POSITION_KEY, null);
    expect(image.position).toBeUndefined();
  });
});
