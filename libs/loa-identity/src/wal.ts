import { closeSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { decodeLines, encodeRecord } from '../../../.claude/lib/persistence/jsonl.ts';

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

/** Append-only JSON-lines log; every append is fsynced before it returns. */
export class WriteAheadLog {
  readonly path: string;
  private fd: number | null = null;
  private seq = 0;

  constructor(dataDir: string, fileName = 'identity.wal') {
    this.path = join(dataDir, fileName);
    mkdirSync(dataDir, { recursive: true });
  }

  /** Reads every complete record and truncates a torn tail so the next append starts on a clean line. */
  replay(): ReplayResult {
    let text = '';
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    const decoded = decodeLines<WalRecord>(text);
    this.fd = openSync(this.path, 'a+');
    if (decoded.tornTail) {
      ftruncateSync(this.fd, decoded.validBytes);
      fsyncSync(this.fd);
    }
    this.seq = decoded.records.reduce((max, r) => (typeof r.seq === 'number' && r.seq > max ? r.seq : max), 0);
    return { records: decoded.records, tornTailDropped: decoded.tornTail, corruptLines: decoded.corruptLines };
  }

  append(type: string, fields: Record<string, unknown> = {}): WalRecord {
    if (this.fd === null) throw new Error('WriteAheadLog.append called before replay()');
    const record: WalRecord = { ...fields, seq: this.seq + 1, type, at: new Date().toISOString() };
    writeSync(this.fd, encodeRecord(record));
    fsyncSync(this.fd);
    this.seq = record.seq;
    return record;
  }

  get lastSeq(): number {
    return this.seq;
  }

  close(): void {
    if (this.fd === null) return;
    fsyncSync(this.fd);
    closeSync(this.fd);
    this.fd = null;
  }
}
