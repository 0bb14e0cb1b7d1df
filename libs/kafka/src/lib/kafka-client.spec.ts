import { parseBrokerList } from './kafka-client';

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
