// Line framing shared by the write-ahead log and its readers (the real deployment keeps this
// under .claude/lib/persistence, and loa-identity imports it from there).

export interface DecodedLines<T> {
  records: T[];
  /** Byte length of the prefix made of complete, parseable lines. */
  validBytes: number;
  /** True when the tail after the last newline was an incomplete or unparseable line. */
  tornTail: boolean;
  /** Complete lines in the middle that did not parse; skipped, never fatal. */
  corruptLines: number;
}

export function encodeRecord(record: unknown): string {
  return `${JSON.stringify(record)}\n`;
}

/** Decodes newline-terminated JSON records. A last line without its newline (a crash mid-write) is ignored. */
export function decodeLines<T>(text: string): DecodedLines<T> {
  const records: T[] = [];
  let validBytes = 0;
  let corruptLines = 0;
  let offset = 0;
  while (offset < text.length) {
    const newline = text.indexOf('\n', offset);
    if (newline === -1) break;
    const line = text.slice(offset, newline);
    offset = newline + 1;
    if (line.trim() === '') {
      validBytes = Buffer.byteLength(text.slice(0, offset));
      continue;
    }
    try {
      records.push(JSON.parse(line) as T);
      validBytes = Buffer.byteLength(text.slice(0, offset));
    } catch {
      corruptLines += 1;
      validBytes = Buffer.byteLength(text.slice(0, offset));
    }
  }
  const tornTail = offset < text.length;
  return { records, validBytes, tornTail, corruptLines };
}
