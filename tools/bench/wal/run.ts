// Write-ahead log replay benchmark: how long identity's start spends replaying a long-lived log.
// Prints a table; asserts nothing (the target, 100k records in under 1 s, is read by people).
//
//   npm run bench:wal [-- --sizes 20000,40000,100000] [-- --runs 5]
//
// Each size gets a fresh log in a temp folder, written in the format identity appends (start and
// soul records), then replayed `runs` times by a fresh WriteAheadLog: lock, read, decode, open.
// The median and the worst run are printed; the file size is there to compare machines.
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { WriteAheadLog } from '../../../libs/loa-identity/src/wal.ts';

const { values: args } = parseArgs({
  options: {
    sizes: { type: 'string', default: '20000,40000,100000' },
    runs: { type: 'string', default: '5' },
  },
});
const SIZES = args.sizes.split(',').map(Number);
const RUNS = Number(args.runs);
if (SIZES.some((n) => !Number.isInteger(n) || n < 1) || !Number.isInteger(RUNS) || RUNS < 1) {
  console.error('bench:wal: --sizes takes positive integers separated by commas and --runs a positive integer, e.g. --sizes 20000,100000 --runs 5');
  process.exit(1);
}

function writeLog(dir: string, records: number): void {
  const lines: string[] = [];
  for (let seq = 1; seq <= records; seq += 1) {
    const at = new Date(Date.UTC(2026, 0, 1, 0, 0, seq)).toISOString();
    // Mostly starts, a persona change now and then, as a long-lived dev data dir accumulates.
    lines.push(JSON.stringify(seq % 10 === 0 ? { hash: seq.toString(16).padStart(16, '0'), seq, type: 'soul', at } : { pid: 1000 + (seq % 30000), seq, type: 'start', at }));
  }
  writeFileSync(join(dir, 'identity.wal'), `${lines.join('\n')}\n`);
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

console.log(`WAL replay (Node ${process.version}, ${RUNS} run(s) per size)`);
console.log('records   file MB   median ms   worst ms');
for (const size of SIZES) {
  const dir = mkdtempSync(join(tmpdir(), 'loa-bench-wal-'));
  try {
    writeLog(dir, size);
    const timings: number[] = [];
    for (let run = 0; run < RUNS; run += 1) {
      const wal = new WriteAheadLog(dir);
      const started = process.hrtime.bigint();
      const replay = wal.replay();
      timings.push(Number(process.hrtime.bigint() - started) / 1e6);
      wal.close();
      if (replay.records.length !== size) throw new Error(`replayed ${replay.records.length} of ${size} records`);
    }
    const megabytes = statSync(join(dir, 'identity.wal')).size / 1e6;
    console.log(
      `${String(size).padStart(7)}   ${megabytes.toFixed(1).padStart(7)}   ${median(timings).toFixed(0).padStart(9)}   ${Math.max(...timings).toFixed(0).padStart(8)}`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
