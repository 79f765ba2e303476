import { chmodSync } from 'node:fs';
import { join } from 'node:path';
import { devOptions } from '../../testing/dev-options.ts';
import { tempDir, writeFile } from '../../testing/fixtures.ts';
import { expand } from '../env/expand.ts';
import { normalizeDevOptions, OptionsError, type DevEngineOptions } from './options.ts';

const base = (overrides: Partial<DevEngineOptions> = {}): DevEngineOptions =>
  devOptions({
    processes: [{ name: 'identity', command: 'node', args: ['main.ts'], health: { http: 'http://127.0.0.1:3000/health' } }],
    rules: [{ match: ['src/**/*.ts'], restart: ['identity'] }],
    ...overrides,
  });

describe('normalizeDevOptions', () => {
  it('runs `node` with the Node that runs the engine (the workspace brings Node 22)', () => {
    const normalized = normalizeDevOptions(base(), '/ws', { PATH: '' });
    expect(normalized.processes[0]).toMatchObject({ command: process.execPath, cwd: '/ws', graceMs: 1000, startTimeoutMs: 30000 });
  });

  it.each([
    [{ processes: [] }, /no processes configured/],
    [{ processes: [{ name: 'a', command: 'node' }, { name: 'a', command: 'node' }] }, /"a" is used twice/],
    [{ rules: [{ match: ['x'], restart: ['gateway'] }] }, /restarts "gateway", which is not a process — use one of: identity/],
    [{ rules: [{ match: ['x'] }] }, /does nothing/],
    [{ rules: [{ match: [], restart: ['identity'] }] }, /no "match" globs/],
    [{ processes: [{ name: 'gw', command: 'definitely-not-installed-xyz' }], rules: [] }, /gw: definitely-not-installed-xyz not found — install it/],
  ])('rejects invalid options with a message that names the fix (%#)', (overrides, message) => {
    expect(() => normalizeDevOptions(base(overrides as Partial<DevEngineOptions>), '/ws', { PATH: '' })).toThrow(OptionsError);
    expect(() => normalizeDevOptions(base(overrides as Partial<DevEngineOptions>), '/ws', { PATH: '' })).toThrow(message);
  });

  it('skips a missing program when told to, with a notice', () => {
    const normalized = normalizeDevOptions(
      base({ processes: [...base().processes, { name: 'gateway', command: ['${LOA_GATEWAY_BIN}', 'openclaw-missing'], whenMissing: 'skip' }] }),
      '/ws',
      { PATH: '' },
    );
    expect(normalized.processes.map((p) => p.name)).toEqual(['identity']);
    expect(normalized.skipped.get('gateway')).toBe('gateway skipped: openclaw-missing not installed');
  });

  it('finds the first installed candidate, from an env variable or the PATH', () => {
    const dir = tempDir('loa-bin-');
    try {
      writeFile(dir.path, 'bin/clawdbot', '#!/bin/sh\n');
      chmodSync(join(dir.path, 'bin/clawdbot'), 0o755);
      const options = base({ processes: [{ name: 'gateway', command: ['${LOA_GATEWAY_BIN}', 'openclaw', 'clawdbot'] }], rules: [] });
      expect(normalizeDevOptions(options, '/ws', { PATH: join(dir.path, 'bin') }).processes[0].command).toBe(join(dir.path, 'bin/clawdbot'));
      const explicit = { PATH: '', LOA_GATEWAY_BIN: join(dir.path, 'bin/clawdbot') };
      expect(normalizeDevOptions(options, '/ws', explicit).processes[0].command).toBe(join(dir.path, 'bin/clawdbot'));
    } finally {
      dir.remove();
    }
  });

  it('layers the environment: shell < env file < target env < process env', () => {
    const normalized = normalizeDevOptions(
      base({
        env: { LOA_DATA_DIR: '${LOA_DATA_DIR:-.loa/data}', SHARED: 'target' },
        processes: [{ name: 'identity', command: 'node', env: { PORT: '3${SUFFIX}' } }],
        rules: [],
      }),
      '/ws',
      { PATH: '', KEY: 'shell', SHARED: 'shell', SUFFIX: '001' },
      { KEY: 'file' },
    );
    expect(normalized.processes[0].env).toMatchObject({ KEY: 'file', SHARED: 'target', LOA_DATA_DIR: '.loa/data', PORT: '3001' });
    expect(normalized.env.LOA_DATA_DIR).toBe('.loa/data');
  });

  it('turns polling on from CHOKIDAR_USEPOLLING', () => {
    expect(normalizeDevOptions(base(), '/ws', { CHOKIDAR_USEPOLLING: '1' }).watch.usePolling).toBe(true);
    expect(normalizeDevOptions(base(), '/ws', {}).watch.usePolling).toBe(false);
  });

  it('always ignores node_modules, .git, .nx and dist, plus what the options add', () => {
    expect(normalizeDevOptions(base({ ignore: ['.cache'] }), '/ws', {}).watch.ignoreNames).toEqual(
      expect.arrayContaining(['node_modules', '.git', '.nx', 'dist', '.cache']),
    );
  });
});

describe('expand', () => {
  it('expands ${VAR} and ${VAR:-default}', () => {
    expect(expand('${A}/${B:-x}/${C:-}', { A: 'a', B: '' })).toBe('a/x/');
  });
});

describe('normalizeDevOptions on a Node that cannot run TypeScript', () => {
  const real = Object.getOwnPropertyDescriptor(process.versions, 'node')!;
  beforeEach(() => Object.defineProperty(process.versions, 'node', { ...real, value: '22.6.0' }));
  afterEach(() => Object.defineProperty(process.versions, 'node', real));

  it('names the Nx project being run (NX_TASK_TARGET_PROJECT, set by Nx for its tasks), not a fixed one', () => {
    expect(() => normalizeDevOptions(base(), '/ws', { PATH: '', NX_TASK_TARGET_PROJECT: 'seed' })).toThrow(
      /identity runs TypeScript directly, which needs Node ≥ 22\.18; this is Node 22\.6\.0 — .*`npx nx run seed:dev` then runs on it/,
    );
    // The standalone engine (no Nx task): the placeholder, never another project's name.
    expect(() => normalizeDevOptions(base(), '/ws', { PATH: '' })).toThrow(/`npx nx run <project>:dev`/);
  });
});
