import { jest } from '@jest/globals';
// This repository's own files are the generator's output (issue 8): the generator run over them, with
// this repository's values, changes nothing. So the templates (files/) and the repository cannot drift
// apart: a change to docker-compose.dev.yml, the Makefile, a Dockerfile, a start script, the workflow,
// apps/loa/project.json's dev target, nx.json's plugin entry (scoped by include to apps/loa's
// wrangler.jsonc and Dockerfile.dev) or apps/loa/.loa-setup.json (the options recorded) needs the same
// change in the generator.
import { logger, type Tree } from '@nx/devkit';
import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { changedSince, snapshot } from '../../testing/tree-snapshot.ts';
import { setupGenerator } from './generator.ts';

const REPO = resolve(import.meta.dirname, '../../../../..');
const THIS_REPOSITORY = { project: 'loa', preset: 'apps', baseImage: 'ghcr.io/0xhoneyjar/loa-beauvoir:main' } as const;

/** A Tree holding this repository's tracked files as they are in the working tree. */
function loadRepository(): Tree {
  const tree = createTreeWithEmptyWorkspace({ formatter: 'none' });
  for (const file of trackedFiles()) tree.write(file, readFileSync(join(REPO, file)));
  return tree;
}

/**
 * This repository's files as the working tree has them: tracked ones still there (one deleted there is
 * someone's work in progress) and new ones git does not ignore (a file the generator now writes, before
 * it is committed).
 */
function trackedFiles(): string[] {
  const files = spawnSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: REPO, encoding: 'utf8' }).stdout.split('\0').filter(Boolean);
  return files.filter((file) => existsSync(join(REPO, file)));
}

describe('nx g @loa/plugin:setup over this repository', () => {
  let warn: ReturnType<typeof jest.spyOn>;
  beforeEach(() => {
    warn = jest.spyOn(logger, 'warn').mockImplementation(() => undefined);
  });
  afterEach(() => warn.mockRestore());

  it("this repository is the generator's output (preset apps, this repository's values): no difference", async () => {
    const tree = loadRepository();
    const before = snapshot(tree);
    await setupGenerator(tree, THIS_REPOSITORY);
    expect(changedSince(tree, before)).toEqual([]);
    expect(warn).not.toHaveBeenCalled();
  });

  it("writes this repository's production Dockerfile, start-loa.sh and .dockerignore byte for byte where they are missing", async () => {
    const tree = loadRepository();
    const production = ['apps/loa/docker/Dockerfile', 'apps/loa/docker/start-loa.sh', '.dockerignore'];
    const originals = production.map((path) => tree.read(path, 'utf-8'));
    for (const path of production) tree.delete(path);
    await setupGenerator(tree, THIS_REPOSITORY);
    expect(production.map((path) => tree.read(path, 'utf-8'))).toEqual(originals);
  });

  it('the real `nx g @loa/plugin:setup` over a copy of this repository reports no change, and lists an edit', () => {
    // Tracked files as they are in the working tree, node_modules linked (as tools/testing/workspace-copy.ts
    // does; the plugin's specs may not import tools/, by the module boundaries).
    const dir = mkdtempSync(join(tmpdir(), 'loa-setup-'));
    try {
      for (const file of trackedFiles()) {
        mkdirSync(dirname(join(dir, file)), { recursive: true });
        writeFileSync(join(dir, file), readFileSync(join(REPO, file)));
      }
      symlinkSync(join(REPO, 'node_modules'), join(dir, 'node_modules'));
      const nx = (...args: string[]) => {
        const started = Date.now();
        const result = spawnSync(process.execPath, [join(REPO, 'node_modules/.bin/nx'), 'g', '@loa/plugin:setup', '--no-interactive', ...args], {
          cwd: dir,
          encoding: 'utf8',
          env: { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NO_COLOR: '1', NX_WORKSPACE_DATA_DIRECTORY: join(dir, '.nx/workspace-data') },
        });
        const output = `${result.stdout}${result.stderr}`;
        if (result.status !== 0) throw new Error(`nx g ${args.join(' ')} exited ${result.status}:\n${output}`);
        return { output, seconds: (Date.now() - started) / 1000 };
      };
      const run = nx('--baseImage=ghcr.io/0xhoneyjar/loa-beauvoir:main', '--dry-run');
      expect(run.output).toContain('Generating @loa/plugin:setup');
      expect(run.output).not.toMatch(/^(CREATE|UPDATE|DELETE) /m);
      console.log(`nx g @loa/plugin:setup --dry-run over this repository: ${run.seconds} s`);

      writeFileSync(join(dir, 'Makefile'), `${readFileSync(join(dir, 'Makefile'), 'utf8')}\nmine:\n\techo mine\n`);
      const edited = readFileSync(join(dir, 'docker-compose.dev.yml'), 'utf8').replace('memory: 4G', 'memory: 8G');
      writeFileSync(join(dir, 'docker-compose.dev.yml'), edited);
      const second = nx('--baseImage=ghcr.io/0xhoneyjar/loa-beauvoir:main');
      expect(second.output).toMatch(/Kept what differs from the generator's output for these options: [^]*--force[^]*- docker-compose\.dev\.yml/);
      expect(second.output).not.toMatch(/^(CREATE|UPDATE|DELETE) /m);
      expect(readFileSync(join(dir, 'docker-compose.dev.yml'), 'utf8')).toBe(edited);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

