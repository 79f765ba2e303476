import { chmodSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir, writeFile } from '../../../../dev-engine/src/testing/fixtures.ts';
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
    const required = { dockerfile: 'docker/Dockerfile.dev', productionDockerfile: 'docker/Dockerfile', baseImage: 'example.invalid/app:main' };
    const code = await buildImage({ ...required, pullTimeoutSeconds: 0, progress: 'fancy' as never, maxOverheadMb: -1 }, { root: bin.path, env: { PATH: bin.path }, print: (l) => lines.push(l), stdoutIsTty: false });
    expect(code).toBe(1);
    expect(lines).toEqual([
      '[loa] ERROR: pullTimeoutSeconds is 0 — it must be >= 1',
      '[loa] ERROR: maxOverheadMb is -1 — it must be >= 0',
      '[loa] ERROR: progress is "fancy" — allowed: auto, plain, tty',
    ]);
    expect(existsSync(join(bin.path, 'calls')) ? readFileSync(join(bin.path, 'calls'), 'utf8') : '').toBe('');
  });

  it('has no default image or path of any one repository: without them it names each, before docker runs', async () => {
    const lines: string[] = [];
    const code = await buildImage({}, { root: bin.path, env: { PATH: bin.path }, print: (l) => lines.push(l), stdoutIsTty: false });
    expect(code).toBe(1);
    expect(lines).toEqual([
      '[loa] ERROR: "dockerfile" is missing — add it (the dev Dockerfile, relative to the workspace root)',
      '[loa] ERROR: "productionDockerfile" is missing — add it (the production Dockerfile, built locally when the base image cannot be had)',
      '[loa] ERROR: "baseImage" is missing — add it (the dev image\'s BASE_IMAGE: the production image, used when present locally or pullable (ghcr.io/<owner>/<repo>:main, say))',
    ]);
    expect(existsSync(join(bin.path, 'calls'))).toBe(false);
  });
});
