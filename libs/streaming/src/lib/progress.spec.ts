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

  it('tells a stall once when it starts and once when the partition moves again, for the log', () => {
    let now = 0;
    const board = new ProgressBoard(() => now);
    board.assign('t', 0);
    board.assign('t', 1);
    board.fetched('t', 0, 100);
    board.committed('t', 0, 40);
    now = 30_000;
    expect(board.stallChanges(60_000)).toEqual({ stalled: [], moving: [] });
    now = 70_000;
    expect(board.stallChanges(60_000)).toEqual({ stalled: [{ topic: 't', partition: 0, lag: 60, stalledForMs: 70_000, lastError: undefined }], moving: [] });
    now = 75_000;
    expect(board.stallChanges(60_000)).toEqual({ stalled: [], moving: [] });
    now = 90_000;
    board.committed('t', 0, 80);
    expect(board.stallChanges(60_000)).toEqual({ stalled: [], moving: [{ topic: 't', partition: 0, stoodStillMs: 90_000 }] });
    expect(board.stallChanges(60_000)).toEqual({ stalled: [], moving: [] });
    // Stalled again later: told again.
    now = 160_000;
    expect(board.stallChanges(60_000).stalled).toEqual([{ topic: 't', partition: 0, lag: 20, stalledForMs: 70_000, lastError: undefined }]);
    // Given to another replica while stalled: nothing more to tell.
    board.revoke('t', 0);
    expect(board.stallChanges(60_000)).toEqual({ stalled: [], moving: [] });
  });
});
