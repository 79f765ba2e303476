// Line framing shared by the write-ahead log and its readers (the real deployment keeps this
// under .claude/lib/persistence, and loa-identity imports it from there).

export interface DecodedLines<T> {
  records: T[];
  /** Byte length of the prefix made of complete lines: where the next record must start. */
  validBytes: number;
  /** True when bytes follow the last newline: an incomplete line (a crash or a short write). */
  tornTail: boolean;
  /** Complete lines in the middle that did not parse; skipped, never fatal. */
  corruptLines: number;
}

const NEWLINE = 0x0a;

export function encodeRecord(record: unknown): Buffer {
  return Buffer.from(`${JSON.stringify(record)}\n`, 'utf8');
}

/**
 * Decodes newline-terminated JSON records. A last line without its newline (a crash mid-write) is
 * ignored. Works on bytes: offsets computed on decoded text drift wherever the file holds invalid
 * UTF-8 (each bad byte decodes to a 3-byte U+FFFD), and a truncation at such an offset would keep a
 * torn tail that the next record is then glued onto. One pass, so replay is linear in the file size.
 */
export function decodeLines<T>(bytes: Buffer): DecodedLines<T> {
  const records: T[] = [];
  let corruptLines = 0;
  let offset = 0;
  for (;;) {
    const newline = bytes.indexOf(NEWLINE, offset);
    if (newline === -1) break;
    const line = bytes.toString('utf8', offset, newline);
    offset = newline + 1;
    if (line.trim() === '') continue;
    try {
      records.push(JSON.parse(line) as T);
    } catch {
      corruptLines += 1;
    }
  }
  return { records, validBytes: offset, tornTail: offset < bytes.length, corruptLines };
}
