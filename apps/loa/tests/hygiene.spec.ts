import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/**
 * What tests and tools write must stay out of the repository and the image's build context:
 * `wrangler dev` (the smoke test runs it) keeps miniflare's SQLite state in `.wrangler/`.
 */
const REPO = resolve(import.meta.dirname, '../../..');
const git = (...args: string[]) => spawnSync('git', args, { cwd: REPO, encoding: 'utf8' });

describe('repository hygiene', () => {
  it('tracks nothing under a .wrangler folder, and git ignores one anywhere', () => {
    expect(git('ls-files', '--', '*.wrangler/*', '.wrangler').stdout).toBe('');
    // .dev.vars is where `wrangler dev` reads local secrets from.
    for (const path of ['apps/loa/cloudflare/.wrangler/state/v3/do/x.sqlite', '.wrangler/tmp/bundle.js', 'apps/loa/cloudflare/.dev.vars']) {
      expect({ path, ignored: git('check-ignore', '--no-index', '-q', path).status === 0 }).toEqual({ path, ignored: true });
    }
  });

  it('keeps .wrangler out of the Docker build context (the repository root, for the production image)', () => {
    // .dockerignore patterns are anchored at the context root: the state lives in apps/loa/cloudflare.
    const patterns = readFileSync(join(REPO, '.dockerignore'), 'utf8').split('\n').map((line) => line.trim());
    expect(patterns.some((p) => ['**/.wrangler', '**/.wrangler/'].includes(p))).toBe(true);
    expect(patterns).toContain('**/.dev.vars*');
  });
});
