import { MAX_BIND_PARAMETERS, statementChunks } from './sql';

describe('statementChunks', () => {
  it('keeps every statement within the bind parameter limit, rows in order', () => {
    const rows = Array.from({ length: 10 }, (_, index) => index);
    expect(statementChunks(rows, 3, 9)).toEqual([[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]);
  });

  it('puts a realistic batch in one statement', () => {
    const rows = Array.from({ length: 2000 }, (_, index) => index);
    const chunks = statementChunks(rows, 16);
    expect(chunks).toHaveLength(1);
    expect(Math.floor(MAX_BIND_PARAMETERS / 16)).toBeGreaterThan(2000);
  });

  it('returns no statement for no rows', () => {
    expect(statementChunks([], 5)).toEqual([]);
  });

  it.each([0, 1.5, MAX_BIND_PARAMETERS + 1])('rejects %s parameters per row', (perRow) => {
    expect(() => statementChunks([1], perRow)).toThrow(RangeError);
  });
});
