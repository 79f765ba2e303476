import { jest } from '@jest/globals';
import { spawn } from 'node:child_process';
import { waitFor } from '../../testing/fixtures.ts';
import { groupAlive, liveGroupMembers, processAlive, signalGroup, stopGroup } from './process-group.ts';

describe('process groups', () => {
  const leaders: number[] = [];
  afterEach(() => {
    for (const pid of leaders.splice(0)) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
  });

  const spawnGroup = (script: string) => {
    const child = spawn('sh', ['-c', script], { detached: true, stdio: 'ignore' });
    leaders.push(child.pid!);
    return child.pid!;
  };

  it('lists the leader and its grandchildren', async () => {
    const pgid = spawnGroup('sleep 30 & sleep 30 & wait');
    const members = await waitFor('three members', () => {
      const list = liveGroupMembers(pgid);
      return list && list.length === 3 ? list : undefined;
    });
    expect(members).toContain(pgid);
    expect(groupAlive(pgid)).toBe(true);
  });

  it('stops a group with SIGTERM, grandchildren included', async () => {
    const pgid = spawnGroup('sleep 30 & wait');
    await waitFor('grandchild', () => (liveGroupMembers(pgid)?.length ?? 0) === 2);
    const grandchild = liveGroupMembers(pgid)!.find((pid) => pid !== pgid)!;
    expect(await stopGroup(pgid, 2000)).toBe('exited');
    expect(groupAlive(pgid)).toBe(false);
    expect(processAlive(grandchild)).toBe(false);
  });

  it('escalates to SIGKILL when a member ignores SIGTERM past the grace period', async () => {
    const pgid = spawnGroup("trap '' TERM; sleep 30 & wait; sleep 30");
    await waitFor('started', () => (liveGroupMembers(pgid)?.length ?? 0) >= 2);
    // sleep itself does not ignore TERM, but the trapped shell does.
    expect(await stopGroup(pgid, 200)).toBe('killed');
    expect(groupAlive(pgid)).toBe(false);
  });

  it('reports a group that is already gone', async () => {
    const pgid = spawnGroup('exit 0');
    await waitFor('exit', () => !groupAlive(pgid));
    expect(await stopGroup(pgid, 100)).toBe('gone');
  });
});

describe('a child that never started (pid -1 or 0)', () => {
  it('is never signalled: -(-1) is PID 1 and 0 is our own group', async () => {
    const kill = jest.spyOn(process, 'kill').mockImplementation(() => true);
    try {
      expect([signalGroup(-1, 'SIGTERM'), signalGroup(0, 'SIGTERM'), groupAlive(-1), groupAlive(0)]).toEqual([false, false, false, false]);
      expect(await stopGroup(-1, 100)).toBe('gone');
      expect(kill).not.toHaveBeenCalled();
    } finally {
      kill.mockRestore();
    }
  });
});
