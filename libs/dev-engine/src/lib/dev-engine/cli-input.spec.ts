import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir, writeFile } from '../../testing/fixtures.ts';

const CLI = join(import.meta.dirname, 'cli.ts');

/**
 * Bad input to the standalone engine, for real: a child process per case. Each gets one line per
 * problem naming the option, the value and what is allowed, exit 1, no stack trace, and nothing started
 * (the process in the options would create `started` in the workspace).
 */
describe('dev engine CLI: bad input is refused before anything starts', () => {
  let workspace: ReturnType<typeof tempDir>;
  beforeEach(() => {
    workspace = tempDir('loa-cli-input-');
  });
  afterEach(() => {
    chmodSync(workspace.path, 0o700);
    if (existsSync(join(workspace.path, '.loa'))) chmodSync(join(workspace.path, '.loa'), 0o700);
    if (existsSync(join(workspace.path, '.loa/data'))) chmodSync(join(workspace.path, '.loa/data'), 0o700);
    workspace.remove();
  });

  const starter = { name: 'identity', command: 'node', args: ['-e', "require('fs').writeFileSync('started', '')"] };

  /**
   * Runs the CLI to its end (bounded). `unprivileged`, when this runs as root (which ignores file modes):
   * without the capabilities that override them, so a folder's mode bits apply. Not as another user: that
   * user may not reach node or the checkout at all (a clone under a 0700 `mktemp -d` folder: EACCES).
   */
  function cli(args: string[], options: { unprivileged?: boolean } = {}): Promise<{ code: number | null; out: string }> {
    const command = [process.execPath, CLI, ...args, '--root', workspace.path];
    const dropped = '-dac_override,-dac_read_search';
    const argv = options.unprivileged && process.getuid?.() === 0 ? ['setpriv', `--bounding-set=${dropped}`, `--inh-caps=${dropped}`, ...command] : command;
    const child = spawn(argv[0], argv.slice(1), { cwd: workspace.path, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    child.stderr.on('data', (chunk) => (out += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    return new Promise((resolve, reject) => {
      child.once('error', (error) => (clearTimeout(timer), reject(error)));
      child.once('close', (code) => (clearTimeout(timer), resolve({ code, out })));
    });
  }

  const options = (value: unknown) => writeFile(workspace.path, 'options.json', JSON.stringify(value));

  it('--help prints the usage, naming the command as users run it, to stdout and exits 0; no arguments at all is an error (stderr, 2)', () => {
    const help = spawnSync(process.execPath, [CLI, '--help'], { cwd: workspace.path, encoding: 'utf8', timeout: 30_000 });
    expect({ status: help.status, stdout: help.stdout, stderr: help.stderr }).toEqual({
      status: 0,
      stdout: expect.stringMatching(/^usage: loa-dev-engine \(--project <project\.json> .*\n$/),
      stderr: '',
    });
    const bare = spawnSync(process.execPath, [CLI], { cwd: workspace.path, encoding: 'utf8', timeout: 30_000 });
    expect({ status: bare.status, stdout: bare.stdout, stderr: bare.stderr }).toEqual({ status: 2, stdout: '', stderr: help.stdout });
  });

  it('--runtime=banana names the allowed runtimes', async () => {
    options({ processes: [starter] });
    const { code, out } = await cli(['--options', 'options.json', '--runtime', 'banana']);
    expect({ code, out }).toEqual({ code: 1, out: '[loa] ERROR: runtime is "banana" — allowed: auto, native, docker\n' });
    expect(existsSync(join(workspace.path, 'started'))).toBe(false);
  });

  it('a missing field, a malformed glob and an out-of-range number: one line each, nothing started', async () => {
    options({ processes: [starter, { name: 'gateway' }], rules: [{ match: ['watched/[**'], restart: ['identity'] }], debounceMs: -5 });
    const { code, out } = await cli(['--options', 'options.json']);
    expect(code).toBe(1);
    expect(out.trimEnd().split('\n')).toEqual([
      '[loa] ERROR: processes[1]: "command" is missing — add it (the program, or candidates tried in order (${VAR} expands; empty ones are skipped))',
      '[loa] ERROR: rules[0].match[0] is "watched/[**" — "[" is never closed — close it with "]" or escape it as \\[',
      '[loa] ERROR: debounceMs is -5 — it must be >= 0',
    ]);
    expect(existsSync(join(workspace.path, 'started'))).toBe(false);
  });

  it('an empty envFile (`--envFile=`) is refused in one line saying how to get the default, not run without the env file', async () => {
    writeFile(workspace.path, '.env.local', 'TOKEN=from-the-file\n');
    options({ envFile: '', processes: [starter] });
    const { code, out } = await cli(['--options', 'options.json']);
    expect({ code, out }).toEqual({ code: 1, out: '[loa] ERROR: envFile is "" — it cannot be empty: leave it out for the default (".env.local"), or give it a value\n' });
    expect(existsSync(join(workspace.path, 'started'))).toBe(false);
  });

  it("a rule command's run.timeoutMs is checked like the other times", async () => {
    options({ processes: [starter], rules: [{ match: ['a.md'], run: { command: 'node', args: ['gen.mjs'], timeoutMs: 0 }, restart: ['identity'] }] });
    const { code, out } = await cli(['--options', 'options.json']);
    expect({ code, out }).toEqual({ code: 1, out: '[loa] ERROR: rules[0].run.timeoutMs is 0 — it must be >= 100\n' });
    expect(existsSync(join(workspace.path, 'started'))).toBe(false);
  });

  it('a project.json with a syntax error is named, with line and column', async () => {
    writeFile(workspace.path, 'apps/x/project.json', '{\n  "targets": {\n    "dev": { "options": { "processes": [] } }\n    "other": {}\n  }\n}\n');
    const { code, out } = await cli(['--project', 'apps/x/project.json']);
    expect({ code, out }).toEqual({ code: 1, out: '[loa] ERROR: apps/x/project.json:4:5: CommaExpected — fix the syntax there\n' });
  });

  it('a project.json without the target, or no file at all, is named too', async () => {
    writeFile(workspace.path, 'apps/x/project.json', '{ "targets": {} }');
    expect(await cli(['--project', 'apps/x/project.json'])).toEqual({ code: 1, out: '[loa] ERROR: apps/x/project.json has no target "dev" — pass --target with one of its targets\n' });
    expect(await cli(['--project', 'apps/y/project.json'])).toEqual({ code: 1, out: '[loa] ERROR: apps/y/project.json: cannot be read (no such file)\n' });
  });

  describe('a read-only data dir', () => {
    beforeEach(() => {
      writeFile(workspace.path, '.loa/data/identity.wal', '{}\n');
      chmodSync(workspace.path, 0o755);
    });

    it('clean says it cannot remove it, in one line, and exits 1', async () => {
      chmodSync(join(workspace.path, '.loa'), 0o555);
      options({ action: 'clean' });
      const { code, out } = await cli(['--options', 'options.json'], { unprivileged: true });
      expect({ code, out }).toEqual({ code: 1, out: `[loa] runtime: native (--runtime=native)\n[loa] ERROR: cannot remove .loa/data (EACCES at ${join(workspace.path, '.loa/data')}) — fix its permissions (or its owner) and run clean again\n` });
      expect(existsSync(join(workspace.path, '.loa/data/identity.wal'))).toBe(true);
    });

    it('up refuses before starting anything, in one line', async () => {
      chmodSync(join(workspace.path, '.loa/data'), 0o555);
      options({ processes: [starter] });
      const { code, out } = await cli(['--options', 'options.json'], { unprivileged: true });
      expect({ code, out }).toEqual({
        code: 1,
        out: `[loa] runtime: native (--runtime=native)\n[loa] ERROR: data dir .loa/data is not writable (${join(workspace.path, '.loa/data')}: EACCES) — fix its permissions (chmod u+w ${join(workspace.path, '.loa/data')}) or set dataDir/LOA_DATA_DIR to a writable folder\n`,
      });
      expect(existsSync(join(workspace.path, 'started'))).toBe(false);
    });
  });
});
