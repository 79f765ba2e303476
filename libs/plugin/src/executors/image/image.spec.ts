import { chmodSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir, writeFile } from '../../testing/fixtures.ts';
import { buildImage } from './image.ts';

describe('image executor options', () => {
  let bin: ReturnType<typeof tempDir>;
  beforeEach(() => {
    bin = tempDir('loa-image-bin-');
    // A docker that records every call: bad options must not reach it.
    writeFile(bin.path, 'docker', `#!/bin/sh\necho "$@" >> "${bin.path}/calls"\n`);
    chmodSync(join(bin.path, 'docker'), 0o755);
  });
  afterEach(() => bin.remove());

  it('refuses out-of-range and unknown values before docker runs, one line each', async () => {
    const lines: string[] = [];
    const code = await buildImage({ pullTimeoutSeconds: 0, progress: 'fancy' as never, maxOverheadMb: -1 }, { root: bin.path, env: { PATH: bin.path }, print: (l) => lines.push(l), stdoutIsTty: false });
    expect(code).toBe(1);
    expect(lines).toEqual([
      '[loa] ERROR: pullTimeoutSeconds is 0 — it must be >= 1',
      '[loa] ERROR: maxOverheadMb is -1 — it must be >= 0',
      '[loa] ERROR: progress is "fancy" — allowed: auto, plain, tty',
    ]);
    expect(existsSync(join(bin.path, 'calls')) ? readFileSync(join(bin.path, 'calls'), 'utf8') : '').toBe('');
  });
});
