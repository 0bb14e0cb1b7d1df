import { logLevel } from 'kafkajs';
import { kafkaLineLevel, parseBrokerList } from './kafka-client';

describe('parseBrokerList', () => {
  it('splits and trims host:port pairs', () => {
    expect(parseBrokerList(' a:9092, b:9093 ,')).toEqual(['a:9092', 'b:9093']);
  });

  it('rejects an empty list', () => {
    expect(() => parseBrokerList(' , ')).toThrow(/at least one host:port/);
  });

  it('rejects an entry without a port', () => {
    expect(() => parseBrokerList('localhost')).toThrow(/"localhost" is not host:port/);
  });
});

describe('kafkaLineLevel', () => {
  it('keeps a line at its own level', () => {
    expect(kafkaLineLevel(logLevel.ERROR, 'Response Produce(key: 0, version: 7) The request included a message larger than the max message size the server will accept')).toBe('error');
    expect(kafkaLineLevel(logLevel.WARN, 'Connection timeout')).toBe('warn');
    // A fetch of a topic deleted under the consumer is not the metadata lag after a creation.
    expect(kafkaLineLevel(logLevel.ERROR, 'Response Fetch(key: 1, version: 11) This server does not host this topic-partition')).toBe('error');
  });

  it('logs at debug what passes on its own or what the caller handles: a topic created a moment before by another, its metadata not there yet', () => {
    expect(kafkaLineLevel(logLevel.ERROR, 'Response CreateTopics(key: 19, version: 3) Topic creation errors')).toBe('debug');
    expect(kafkaLineLevel(logLevel.ERROR, 'Response Metadata(key: 3, version: 6) This server does not host this topic-partition')).toBe('debug');
    expect(kafkaLineLevel(logLevel.ERROR, 'Response JoinGroup(key: 11, version: 5) The group is rebalancing, so a rejoin is needed')).toBe('debug');
  });
});
