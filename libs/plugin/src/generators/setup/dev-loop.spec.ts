import { jest } from '@jest/globals';
// "When the identity root has no service, a starter service so that dev runs at once": the real dev
// engine, run on the dev target the generator wrote (the seed's layout, nothing else in the workspace),
// starts the starter identity, proves it healthy, regenerates SOUL.md on a BEAUVOIR.md save and restarts
// identity on a .ts save — the processes, rules and paths all come from the generator.
import { logger } from '@nx/devkit';
import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, getJson, processAlive, tempDir, waitFor, writeFile } from '../../../../dev-engine/src/testing/fixtures.ts';
import { setupGenerator } from './generator.ts';

const CLI = join(import.meta.dirname, '../../../../dev-engine/src/lib/dev-engine/cli.ts');

describe('the generated dev target runs the starter identity with the real engine', () => {
  let workspace: ReturnType<typeof tempDir>;
  let engine: ChildProcess | undefined;
  beforeEach(() => {
    jest.spyOn(logger, 'warn').mockImplementation(() => undefined);
    workspace = tempDir('loa-setup-dev-');
  });
  afterEach(() => {
    jest.restoreAllMocks();
    if (engine?.pid && processAlive(engine.pid)) process.kill(-engine.pid, 'SIGKILL');
    engine = undefined;
    workspace.remove();
  });

  it('preset deploy: ready, SOUL.md regenerated on a BEAUVOIR.md save, identity restarted on a .ts save', async () => {
    const [healthPort, gatewayPort] = [await freePort(), await freePort()];
    const tree = createTreeWithEmptyWorkspace({ formatter: 'none' });
    tree.write('grimoires/loa/BEAUVOIR.md', '# Me\n');
    await setupGenerator(tree, { project: 'molt', preset: 'deploy', healthPort, gatewayPort });
    for (const change of tree.listChanges()) {
      if (change.type !== 'DELETE') writeFile(workspace.path, change.path, change.content!.toString());
    }

    let output = '';
    // Its own process group, so the engine and everything it started can be stopped together.
    engine = spawn(process.execPath, [CLI, '--project', 'deploy/project.json', '--root', workspace.path, '--runtime', 'native'], {
      cwd: workspace.path,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, LOA_GATEWAY_BIN: '', PATH: dirnameOf(process.execPath) },
    });
    engine.stdout!.on('data', (chunk) => (output += chunk));
    engine.stderr!.on('data', (chunk) => (output += chunk));
    const context = () => output;

    await waitFor('ready', () => output.includes('ready in'), 30_000, context);
    expect(output).toContain(`listening on http://127.0.0.1:${healthPort}/health`);
    expect(await getJson(`http://127.0.0.1:${healthPort}/health`)).toMatchObject({ ok: true, start: 1 });
    const soul = join(workspace.path, '.loa/workspace/SOUL.md');
    expect(readFileSync(soul, 'utf8')).toContain('# Me\n');

    appendFileSync(join(workspace.path, 'grimoires/loa/BEAUVOIR.md'), 'Now with a second line.\n');
    await waitFor('persona update', () => output.includes('persona updated') && readFileSync(soul, 'utf8').includes('second line'), 15_000, context);

    appendFileSync(join(workspace.path, 'deploy/loa-identity/src/main.ts'), '// saved\n');
    await waitFor('identity reload', () => output.includes('reloaded identity'), 15_000, context);
    expect(await getJson(`http://127.0.0.1:${healthPort}/health`)).toMatchObject({ ok: true, start: 2 });

    const exited = new Promise<number | null>((resolve) => engine!.once('exit', (code) => resolve(code)));
    process.kill(-engine.pid!, 'SIGTERM');
    expect(await exited).toBe(143);
  });
});

function dirnameOf(path: string): string {
  return path.slice(0, path.lastIndexOf('/'));
}
