import { closeSync, fstatSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { decodeLines, encodeRecord } from '../../../.claude/lib/persistence/jsonl.ts';
import { DataDirLock, type LockRole } from './lock.ts';

export interface WalRecord {
  seq: number;
  type: string;
  at: string;
  [key: string]: unknown;
}

export interface ReplayResult {
  records: WalRecord[];
  /** A partial last line was found (a crash mid-append) and cut off. */
  tornTailDropped: boolean;
  corruptLines: number;
}

/** The one call the log's durability depends on, injectable so a test can make the disk write short. */
export type WriteFn = (fd: number, buffer: Buffer, offset: number, length: number) => number;

/** File-system failures that mean "this folder cannot hold a log", as opposed to bugs. */
// EEXIST: mkdir found a file where the folder should be.
const UNUSABLE_DIR = new Set(['EACCES', 'EPERM', 'EROFS', 'ENOTDIR', 'EISDIR', 'EEXIST', 'ENOSPC', 'EDQUOT']);

function unusableDataDir(dataDir: string, error: unknown): unknown {
  const code = (error as NodeJS.ErrnoException).code;
  if (!code || !UNUSABLE_DIR.has(code)) return error;
  const where = (error as NodeJS.ErrnoException).path ?? dataDir;
  return new Error(`data dir ${dataDir} is not usable (${code} on ${where}) — make it a writable folder, or set LOA_DATA_DIR to one`);
}

export class WalFailedError extends Error {
  readonly reason: string;

  constructor(reason: string) {
    super(`write-ahead log failed: ${reason}`);
    this.name = 'WalFailedError';
    this.reason = reason;
  }
}

/**
 * Append-only JSON-lines log; every append is written whole and fsynced before it returns. One writer
 * per data dir: replay() takes the data dir's lock and close() releases it.
 */
export class WriteAheadLog {
  readonly dataDir: string;
  readonly path: string;
  private fd: number | null = null;
  private seq = 0;
  /** Bytes of complete records on disk: where a failed append is cut back to. */
  private size = 0;
  private lock: DataDirLock | null = null;
  private failureReason: string | null = null;
  private readonly write: WriteFn;
  private readonly role: LockRole;

  constructor(dataDir: string, options: { fileName?: string; write?: WriteFn; role?: LockRole } = {}) {
    this.dataDir = dataDir;
    this.role = options.role ?? 'loa-identity';
    this.path = join(dataDir, options.fileName ?? 'identity.wal');
    this.write = options.write ?? ((fd, buffer, offset, length) => writeSync(fd, buffer, offset, length));
    try {
      mkdirSync(dataDir, { recursive: true });
    } catch (error) {
      throw unusableDataDir(dataDir, error);
    }
  }

  /**
   * Locks the data dir, reads every complete record and truncates a torn tail so the next append
   * starts on a clean line. Throws DataDirLockedError when another live process holds the dir.
   */
  replay(): ReplayResult {
    if (this.fd !== null) throw new Error('WriteAheadLog.replay called twice');
    try {
      this.lock = DataDirLock.acquire(this.dataDir, this.role);
      let bytes = Buffer.alloc(0);
      try {
        bytes = readFileSync(this.path);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
      const decoded = decodeLines<WalRecord>(bytes);
      this.fd = openSync(this.path, 'a+');
      if (decoded.tornTail) {
        ftruncateSync(this.fd, decoded.validBytes);
        fsyncSync(this.fd);
      }
      this.size = decoded.validBytes;
      this.seq = decoded.records.reduce((max, r) => (typeof r.seq === 'number' && r.seq > max ? r.seq : max), 0);
      return { records: decoded.records, tornTailDropped: decoded.tornTail, corruptLines: decoded.corruptLines };
    } catch (error) {
      this.close();
      throw unusableDataDir(this.dataDir, error);
    }
  }

  /**
   * Writes one record in full (a short write is continued, a zero-byte write or an error such as
   * EFBIG fails) and fsyncs it. After a failure the log refuses every later append: a record was lost,
   * and whoever reports the log's state must say so rather than carry on.
   */
  append(type: string, fields: Record<string, unknown> = {}): WalRecord {
    if (this.fd === null) throw new Error('WriteAheadLog.append called before replay()');
    const failure = this.failure;
    if (failure !== null) throw new WalFailedError(failure);
    const record: WalRecord = { ...fields, seq: this.seq + 1, type, at: new Date().toISOString() };
    const bytes = encodeRecord(record);
    try {
      let written = 0;
      while (written < bytes.length) {
        const count = this.write(this.fd, bytes, written, bytes.length - written);
        if (count <= 0) throw new Error(`the disk accepted ${written} of ${bytes.length} bytes and then none`);
        written += count;
      }
      fsyncSync(this.fd);
    } catch (error) {
      const cause = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
      this.failureReason = `record #${record.seq} (${type}) was not written (${cause}) — free disk space or raise the file size limit, then restart identity`;
      // Cut the partial record off so the file still ends on a record boundary; if even that fails,
      // the next replay drops the torn tail.
      try {
        ftruncateSync(this.fd, this.size);
      } catch {
        // Reported through failureReason already.
      }
      throw new WalFailedError(this.failureReason);
    }
    this.size += bytes.length;
    this.seq = record.seq;
    return record;
  }

  get lastSeq(): number {
    return this.seq;
  }

  /**
   * Why the log stopped accepting records, or null while it is healthy. A log file deleted while open
   * (the data dir removed under a running identity: `dev-clean` beside `dev`, an `rm -rf`) takes every
   * later record with it, and its lock is gone too: that is a failure, not an ok.
   */
  get failure(): string | null {
    if (this.failureReason === null && this.fd !== null && this.deleted()) {
      this.failureReason = `${this.path} was deleted while identity ran (its data dir removed: dev-clean or rm with identity running?) — records written now would be lost; restart identity`;
    }
    return this.failureReason;
  }

  private deleted(): boolean {
    try {
      return fstatSync(this.fd!).nlink === 0;
    } catch {
      return false;
    }
  }

  /** Publishes the holder's HTTP address in the data dir's lock (see regenerate-soul.ts). */
  advertise(port: number, host: string): void {
    this.lock?.advertise(port, host);
  }

  close(): void {
    try {
      if (this.fd !== null) {
        fsyncSync(this.fd);
        closeSync(this.fd);
      }
    } finally {
      this.fd = null;
      this.lock?.release();
      this.lock = null;
    }
  }
}
