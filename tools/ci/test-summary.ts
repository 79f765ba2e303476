// Adds up the jest JSON reports the test targets write, and prints one plain closing line
// ("N passed, N failed") that any CI log reader understands. Exits 1 if a report is missing or failed.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2] ?? 'tmp/test-results';
const expected = process.argv.slice(3);
let passed = 0;
let failed = 0;
let skipped = 0;
let files: string[] = [];
try {
  files = readdirSync(dir).filter((name) => name.endsWith('.json'));
} catch {
  /* reported below */
}
for (const file of files) {
  const report = JSON.parse(readFileSync(join(dir, file), 'utf8'));
  passed += report.numPassedTests;
  failed += report.numFailedTests;
  skipped += report.numPendingTests + (report.numTodoTests ?? 0);
}
const missing = expected.filter((name) => !files.includes(`${name}.json`));
if (missing.length) console.log(`missing test reports: ${missing.join(', ')}`);
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 || missing.length > 0 || passed === 0 ? 1 : 0);
