import { windowing } from './windowing';

describe('windowing', () => {
  it('should work', () => {
    expect(windowing()).toEqual('windowing');
  });
});
