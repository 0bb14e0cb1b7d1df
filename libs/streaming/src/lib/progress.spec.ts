import { ProgressBoard } from './progress';

describe('partition progress', () => {
  it('reports a partition with lag and no commit for too long as stalled, naming it and its last error', () => {
    let now = 0;
    const board = new ProgressBoard(() => now);
    board.assign('iot.readings', 2);
    board.fetched('iot.readings', 2, 100);
    board.committed('iot.readings', 2, 40);
    board.failed('iot.readings', 2, 'index row requires 20032 bytes');
    now = 59_000;
    expect(board.stalled(60_000)).toEqual([]);
    now = 61_000;
    expect(board.stalled(60_000)).toEqual([{ topic: 'iot.readings', partition: 2, lag: 60, stalledForMs: 61_000, lastError: 'index row requires 20032 bytes' }]);
  });

  it('does not call a caught-up partition stalled, transaction markers included', () => {
    let now = 0;
    const board = new ProgressBoard(() => now);
    board.assign('t', 0);
    board.committed('t', 0, 10);
    board.fetched('t', 0, 11);
    board.skipped('t', 0, 10);
    now = 600_000;
    expect(board.stalled(60_000)).toEqual([]);
  });
});
