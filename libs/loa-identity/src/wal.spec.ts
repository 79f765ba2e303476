import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataDirLockedError, LOCK_FILE } from './lock.ts';
import { WalFailedError, WriteAheadLog, type WriteFn } from './wal.ts';

const seqsOnDisk = (dir: string) =>
  readFileSync(join(dir, 'identity.wal'), 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => (JSON.parse(line) as { seq: number }).seq);

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

  it('a log deleted while open (its data dir removed under a running identity) is a failure: no append pretends to succeed', () => {
    const wal = new WriteAheadLog(join(dir, 'data'));
    wal.replay();
    wal.append('start');
    expect(wal.failure).toBeNull();
    rmSync(join(dir, 'data'), { recursive: true, force: true });
    expect(wal.failure).toMatch(/identity\.wal was deleted while identity ran \(its data dir removed: dev-clean or rm with identity running\?\) — records written now would be lost; restart identity$/);
    expect(() => wal.append('soul', { hash: 'abc' })).toThrow(WalFailedError);
    expect(wal.lastSeq).toBe(1);
    wal.close();
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

  it('cuts a torn tail at its byte offset even after a line of invalid UTF-8, so the next record is not glued on', () => {
    const first = new WriteAheadLog(dir);
    first.replay();
    first.append('start');
    first.close();
    // The issue's repro: printf '\xff\xfe\n{"se' >> identity.wal, then start twice.
    appendFileSync(join(dir, 'identity.wal'), Buffer.from([0xff, 0xfe, 0x0a, ...Buffer.from('{"se')]));
    for (const run of [1, 2]) {
      const wal = new WriteAheadLog(dir);
      const replay = wal.replay();
      expect(replay.tornTailDropped).toBe(run === 1);
      expect(replay.corruptLines).toBe(1);
      wal.append('start');
      wal.close();
    }
    const reopened = new WriteAheadLog(dir);
    expect(reopened.replay().records.map((r) => r.seq)).toEqual([1, 2, 3]);
    reopened.close();
  });

  it('continues a short write until the whole record is on disk', () => {
    // At most 7 bytes per call, as a disk near its limit or a signal-interrupted write may do.
    const trickle: WriteFn = (fd, buffer, offset, length) => writeSync(fd, buffer, offset, Math.min(7, length));
    const wal = new WriteAheadLog(dir, { write: trickle });
    wal.replay();
    wal.append('start', { text: 'a record much longer than seven bytes' });
    wal.append('note');
    wal.close();
    expect(seqsOnDisk(dir)).toEqual([1, 2]);
  });

  it('fails loudly when the disk stops taking bytes mid-record, keeps the file on a record boundary, and refuses later appends', () => {
    const wal = new WriteAheadLog(dir);
    wal.replay();
    wal.append('start');
    wal.close();
    const sizeBefore = readFileSync(join(dir, 'identity.wal')).length;

    for (const write of [
      // Part of the record, then a write that takes nothing.
      ((fd, buffer, offset, length) => (offset === 0 ? writeSync(fd, buffer, 0, Math.min(10, length)) : 0)) as WriteFn,
      // Part of the record, then EFBIG (what `ulimit -f` gives).
      ((fd, buffer, offset, length) => {
        if (offset === 0) return writeSync(fd, buffer, 0, Math.min(10, length));
        throw Object.assign(new Error('file too large'), { code: 'EFBIG' });
      }) as WriteFn,
    ]) {
      const failing = new WriteAheadLog(dir, { write });
      failing.replay();
      expect(() => failing.append('note')).toThrow(WalFailedError);
      expect(failing.failure).toMatch(/record #2 \(note\) was not written/);
      expect(failing.lastSeq).toBe(1);
      expect(() => failing.append('note')).toThrow(/write-ahead log failed/);
      failing.close();
      expect(readFileSync(join(dir, 'identity.wal')).length).toBe(sizeBefore);
      expect(seqsOnDisk(dir)).toEqual([1]);
    }
  });

  it('lets one writer hold a data dir: a second log on it is refused, naming the dir and the holder', () => {
    const first = new WriteAheadLog(dir);
    first.replay();
    const second = new WriteAheadLog(dir);
    expect(() => second.replay()).toThrow(DataDirLockedError);
    expect(() => second.replay()).toThrow(new RegExp(`data dir ${dir} is in use by loa-identity pid ${process.pid}.*LOA_DATA_DIR`));
    first.close();
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
    second.replay();
    second.close();
  });

  it('takes over a stale lock: a dead holder, or this pid left over from an earlier life', () => {
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    for (const pid of [dead, process.pid]) {
      writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid }));
      const wal = new WriteAheadLog(dir);
      wal.replay();
      expect(JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')).pid).toBe(process.pid);
      wal.close();
    }
  });

  it('waits for a regenerate-soul helper that holds the dir (for milliseconds) instead of failing the start', async () => {
    const helper = spawn('sleep', ['0.3']);
    const exited = new Promise((resolvePromise) => helper.once('exit', resolvePromise));
    try {
      writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid: helper.pid, role: 'regenerate-soul' }));
      const wal = new WriteAheadLog(dir);
      wal.replay();
      wal.close();
    } finally {
      helper.kill('SIGKILL');
      await exited;
    }
  });
});
