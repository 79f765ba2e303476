import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { devOptions } from '../../testing/dev-options.ts';
import { tempDir, writeFile } from '../../testing/fixtures.ts';
import { nativeRuntime } from './native.ts';
import { RuntimeError } from './runtime.ts';

const defaults = devOptions();

describe('native runtime actions', () => {
  let workspace: ReturnType<typeof tempDir>;
  let lines: string[];
  const context = () => ({ root: workspace.path, env: {}, print: (line: string) => lines.push(line) });
  beforeEach(() => {
    workspace = tempDir('loa-native-');
    lines = [];
  });
  afterEach(() => workspace.remove());

  it('clean removes the data folder and says so', async () => {
    writeFile(workspace.path, '.loa/data/identity.wal', '{}\n');
    expect(await nativeRuntime.run({ ...defaults, action: 'clean' }, context())).toBe(0);
    expect(existsSync(join(workspace.path, '.loa/data'))).toBe(false);
    expect(lines).toEqual(['[loa] removed .loa/data (the write-ahead log and other state)']);
  });

  it('down explains that the native runtime stops with Ctrl+C', async () => {
    expect(await nativeRuntime.run({ ...defaults, action: 'down' }, context())).toBe(0);
    expect(lines[0]).toMatch(/Ctrl\+C/);
  });

  it.each(['shell', 'logs', 'build'] as const)('%s needs the docker runtime, and says how to get it', async (action) => {
    await expect(nativeRuntime.run({ ...defaults, action }, context())).rejects.toThrow(new RuntimeError(`action "${action}" needs the docker runtime — run it with --runtime=docker`));
  });
});
