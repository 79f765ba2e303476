import { chooseRuntime, RuntimeError, type DevRuntime, type RuntimeContext } from '../../../../dev-engine/src/lib/runtime/runtime.ts';
import { exitCodeUnderNx } from './dev.ts';
import { runDev, runtimes } from '../../../../dev-engine/src/index.ts';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { devOptions } from '../../../../dev-engine/src/testing/dev-options.ts';
import { showProject } from '../../testing/resolved-project.ts';

const schema = JSON.parse(readFileSync(join(import.meta.dirname, '../../../../dev-engine/src/lib/dev-engine/schema.json'), 'utf8'));

const context = (lines: string[]): RuntimeContext => ({ root: '/nonexistent', env: {}, print: (line) => lines.push(line) });

describe('runtime selection', () => {
  const fake = (name: 'native' | 'docker', problem?: string) => async (): Promise<DevRuntime> => ({ name, unavailable: async () => problem, run: async () => 0 });

  it('auto picks docker when it is usable, and says why', async () => {
    const choice = await chooseRuntime('auto', { native: fake('native'), docker: fake('docker') }, context([]));
    expect(choice.runtime.name).toBe('docker');
    expect(choice.reason).toMatch(/reachable/);
  });

  it('auto falls back to native with the reason docker was not usable', async () => {
    const choice = await chooseRuntime('auto', { native: fake('native'), docker: fake('docker', 'no daemon') }, context([]));
    expect(choice).toMatchObject({ reason: 'auto: no daemon' });
    expect(choice.runtime.name).toBe('native');
  });

  it('a forced runtime that cannot run is an error that names the problem', async () => {
    await expect(chooseRuntime('docker', { native: fake('native'), docker: fake('docker', 'no daemon') }, context([]))).rejects.toThrow(
      new RuntimeError('the docker runtime cannot run: no daemon'),
    );
  });
});

describe('runDev', () => {
  const defaults = devOptions();

  const processes = [{ name: 'identity', command: 'node' }];

  it('prints the chosen runtime and exits 1 with a clear error for options that cannot run', async () => {
    const lines: string[] = [];
    const code = await runDev({ ...defaults, runtime: 'native', processes: [] }, context(lines));
    expect(code).toBe(1);
    expect(lines).toEqual(['[loa] runtime: native (--runtime=native)', expect.stringMatching(/^\[loa\] ERROR: no processes configured/)]);
  });

  it('checks every option before choosing a runtime: one line per problem, nothing run', async () => {
    const lines: string[] = [];
    const bad = { ...defaults, runtime: 'banana', debounceMs: -5, processes: [{ name: 'identity' }], rules: [{ match: ['watched/[**'], restart: ['identity'] }] };
    expect(await runDev(bad as never, context(lines))).toBe(1);
    expect(lines).toEqual([
      '[loa] ERROR: runtime is "banana" — allowed: auto, native, docker',
      expect.stringMatching(/^\[loa\] ERROR: processes\[0\]: "command" is missing — add it/),
      '[loa] ERROR: rules[0].match[0] is "watched/[**" — "[" is never closed — close it with "]" or escape it as \\[',
      '[loa] ERROR: debounceMs is -5 — it must be >= 0',
    ]);
  });

  it('a forced docker runtime without a docker CLI fails, naming the fix', async () => {
    const lines: string[] = [];
    expect(await runDev({ ...defaults, runtime: 'docker', processes }, context(lines))).toBe(1);
    expect(lines).toEqual(['[loa] ERROR: the docker runtime cannot run: no docker CLI on PATH — install Docker, or run with --runtime=native']);
  });

  it('has a description on every option and no undeclared ones', () => {
    expect(schema.additionalProperties).toBe(false);
    // continuous belongs on the targets that run until stopped, not on an executor that also serves one-shot actions.
    expect(schema.continuous).toBeUndefined();
    for (const [name, property] of Object.entries(schema.properties)) expect([name, typeof (property as { description?: string }).description]).toEqual([name, 'string']);
    expect(Object.keys(runtimes).sort()).toEqual(['docker', 'native']);
  });

  it('apps/loa marks continuous exactly the dev targets that run until stopped', () => {
    // As Nx resolves them: the dev-* family is inferred from Dockerfile.dev, dev is in project.json.
    const project = showProject(join(import.meta.dirname, '../../../../..'), 'loa');
    const devTargets = Object.entries(project.targets).filter(([, t]) => t.executor === '@loa/plugin:dev');
    expect(Object.fromEntries(devTargets.map(([name, t]) => [name, t.continuous ?? false]))).toEqual({
      dev: true,
      'dev-build': true,
      'dev-logs': true,
      'dev-shell': false,
      'dev-down': false,
      'dev-clean': false,
    });
  });

  it('a failure of a continuous target leaves with a code Nx does not report as success; stops and one-shot targets keep theirs', () => {
    expect([exitCodeUnderNx(1, true), exitCodeUnderNx(2, true), exitCodeUnderNx(130, true), exitCodeUnderNx(143, true), exitCodeUnderNx(0, true)]).toEqual([131, 131, 130, 143, 0]);
    expect(exitCodeUnderNx(1, false)).toBe(1);
  });
});
