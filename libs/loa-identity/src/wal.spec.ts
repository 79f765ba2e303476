import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WriteAheadLog } from './wal.ts';

describe('WriteAheadLog', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'loa-wal-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('replays what earlier runs appended, in order, and continues the sequence', () => {
    const first = new WriteAheadLog(dir);
    expect(first.replay().records).toEqual([]);
    first.append('start', { pid: 1 });
    first.append('note', { text: 'hello' });
    first.close();

    const second = new WriteAheadLog(dir);
    const replay = second.replay();
    expect(replay.records.map((r) => [r.seq, r.type])).toEqual([
      [1, 'start'],
      [2, 'note'],
    ]);
    expect(second.append('start').seq).toBe(3);
    second.close();
  });

  it('ignores a torn last line from a crash and appends after the last complete record', () => {
    const wal = new WriteAheadLog(dir);
    wal.replay();
    wal.append('start');
    wal.close();
    appendFileSync(join(dir, 'identity.wal'), '{"seq":2,"type":"sta');

    const reopened = new WriteAheadLog(dir);
    const replay = reopened.replay();
    expect(replay.tornTailDropped).toBe(true);
    expect(replay.records).toHaveLength(1);
    reopened.append('start');
    reopened.close();

    const lines = readFileSync(join(dir, 'identity.wal'), 'utf8').trim().split('\n');
    expect(lines.map((line) => JSON.parse(line).seq)).toEqual([1, 2]);
  });

  it('skips an unreadable complete line without failing', () => {
    writeFileSync(join(dir, 'identity.wal'), '{"seq":1,"type":"start"}\nnot json\n{"seq":2,"type":"start"}\n');
    const wal = new WriteAheadLog(dir);
    const replay = wal.replay();
    expect(replay.corruptLines).toBe(1);
    expect(replay.records.map((r) => r.seq)).toEqual([1, 2]);
    wal.close();
  });

  it('refuses to append before replay, so no record can land on a torn tail', () => {
    const wal = new WriteAheadLog(dir);
    expect(() => wal.append('start')).toThrow(/before replay/);
  });
});
