import { warehouse } from './warehouse';

describe('warehouse', () => {
  it('should work', () => {
    expect(warehouse()).toEqual('warehouse');
  });
});
