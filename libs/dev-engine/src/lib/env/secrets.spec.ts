import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { processAlive, tempDir, writeFile } from '../../testing/fixtures.ts';
import { CF_VALUE, expectNoSecret, PEM, PEM_LINES } from '../../testing/secrets.ts';
import { loadSecrets } from './secrets.ts';

/**
 * No secret reaches output: the standalone engine against real child processes that print the secrets
 * they were given (deploy-cf and smoke: libs/plugin/src/executors/secrets.spec.ts).
 */
const CLI = join(import.meta.dirname, '../dev-engine/cli.ts');

const API_TOKEN = 'tok-SECRET-in-args-55';
const NX_ONLY = 'nx-loaded-SECRET-91';

describe('loadSecrets', () => {
  it("hides a value as Nx expanded it into the environment (dotenv-expand), not only the file's text", () => {
    const workspace = tempDir('loa-load-secrets-');
    try {
      writeFile(workspace.path, '.env.local', 'DB_PASS=db-SECRET-pass\nDB_URL=postgres://loa:${DB_PASS}@db.internal/loa\n');
      const { redact } = loadSecrets(workspace.path, { DB_PASS: 'db-SECRET-pass', DB_URL: 'postgres://loa:db-SECRET-pass@db.internal/loa' });
      expect(redact('url postgres://loa:db-SECRET-pass@db.internal/loa')).toBe('url ***');
    } finally {
      workspace.remove();
    }
  });

  it('shows a value that names a folder of the workspace (configuration), unless its name says secret', () => {
    const workspace = tempDir('loa-load-secrets-');
    try {
      writeFile(workspace.path, 'grimoires/loa/BEAUVOIR.md', '# persona\n');
      writeFile(workspace.path, 'tokens/x', 'x');
      writeFile(workspace.path, '.env.local', 'LOA_GRIMOIRES_DIR=grimoires\nOUTSIDE=../elsewhere\nAPI_TOKEN=tokens\nOTHER=not-a-folder-here\n');
      const { redact } = loadSecrets(workspace.path, {});
      expect(redact('[loa] watching .claude, grimoires, libs')).toBe('[loa] watching .claude, grimoires, libs');
      expect(redact.skipped).toEqual(['LOA_GRIMOIRES_DIR']);
      // A token that happens to name a folder, a path outside the workspace, anything else: hidden.
      expect(redact('tokens ../elsewhere not-a-folder-here')).toBe('*** *** ***');
    } finally {
      workspace.remove();
    }
  });
});

describe('secrets never reach output', () => {
  let workspace: ReturnType<typeof tempDir>;
  let engine: ChildProcess | undefined;

  beforeEach(() => {
    workspace = tempDir('loa-secrets-');
  });
  afterEach(() => {
    if (engine?.pid && processAlive(engine.pid)) process.kill(-engine.pid, 'SIGKILL');
    engine = undefined;
    workspace.remove();
  });

  /** Runs the standalone engine in the workspace; resolves with its exit code and stdout+stderr. */
  function runEngine(env: NodeJS.ProcessEnv, until?: (output: string) => boolean): Promise<{ code: number | null; output: string }> {
    return new Promise((resolve, reject) => {
      let output = '';
      const child = spawn(process.execPath, [CLI, '--options', 'options.json', '--root', workspace.path], {
        cwd: workspace.path,
        env,
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      engine = child;
      let stopped = false;
      const onData = (chunk: Buffer) => {
        output += chunk;
        if (!stopped && until?.(output)) {
          stopped = true;
          child.kill('SIGTERM');
        }
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', onData);
      // Bounded: a hung engine fails the test instead of hanging it (afterEach kills the group).
      const timer = setTimeout(() => reject(new Error(`engine did not finish in 30 s; output so far:\n${output}`)), 30_000);
      child.on('error', reject);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code, output });
      });
    });
  }

  /** Runs `leaky.mjs` (given its body) under the engine with `args`, until it prints "leaky done"; stdout+stderr. */
  async function runLeaky(body: string, args: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<string> {
    writeFile(workspace.path, 'leaky.mjs', `${body}\nconsole.log('leaky done');\nsetInterval(() => {}, 1000);\n`);
    writeFile(
      workspace.path,
      'options.json',
      JSON.stringify({ processes: [{ name: 'leaky', command: 'node', args: ['leaky.mjs', ...args] }], rules: [{ match: ['src/**'], restart: ['leaky'] }] }),
    );
    const { code, output } = await runEngine({ ...process.env, ...env }, (out) => out.includes('[leaky] leaky done'));
    expect(code).toBe(143);
    return output;
  }

  it('the engine hides a multi-line value (a PEM key in .env.local) printed in pieces split mid-line, and as JSON', async () => {
    writeFile(workspace.path, '.env.local', `TLS_KEY="${PEM}"\n`);
    // The key in pieces split mid-line (and mid-value) with pauses between them, then as JSON on stderr.
    const output = await runLeaky(`const pem = process.env.TLS_KEY;
const cuts = [0, 5, 31, 47, 90, 113, pem.length];
process.stdout.write('key: ');
for (let i = 1; i < cuts.length; i += 1) { process.stdout.write(pem.slice(cuts[i - 1], cuts[i])); await new Promise((r) => setTimeout(r, 30)); }
process.stdout.write('\\n');
console.error('json ' + JSON.stringify(pem));`);
    expectNoSecret(output, [PEM, ...PEM_LINES]);
    // Nor a piece of the key long enough to matter.
    expect(output).not.toMatch(/MIIE|BKcw|MzEf|BEGIN|END PRIVATE/);
    expect(output).toContain('[leaky] key: ***');
    expect(output).toContain('[leaky] json "***\\n***\\n***\\n***"');
  });

  it('the engine hides values Nx loaded from .env (not its own env file) and CF_ values', async () => {
    // Loaded by Nx (not by the engine) into the task's environment: the test passes it as Nx would.
    writeFile(workspace.path, '.env', `NX_ONLY_VALUE=${NX_ONLY}\n`);
    const output = await runLeaky("console.log('nx ' + process.env.NX_ONLY_VALUE + ' cf ' + process.env.CF_ZONE_TAG);", [], { NX_ONLY_VALUE: NX_ONLY, CF_ZONE_TAG: CF_VALUE });
    expectNoSecret(output, [NX_ONLY, CF_VALUE]);
    expect(output).toContain('[leaky] nx *** cf ***');
  });

  it('the engine warns at start about a secret expanded into args (visible in ps), naming the process and the variable', async () => {
    writeFile(workspace.path, '.env.local', `API_TOKEN=${API_TOKEN}\n`);
    const output = await runLeaky("console.log('argv ' + process.argv.slice(2).join(' '));", ['--token=${API_TOKEN}']);
    expectNoSecret(output, [API_TOKEN]);
    expect(output).toContain('[leaky] argv --token=***');
    const warnings = output.split('\n').filter((line) => line.includes('WARNING'));
    expect(warnings).toEqual([
      '[loa] WARNING: leaky gets API_TOKEN in its "args", where anyone on this machine can read it with ps — pass it through the process\'s "env" instead ("API_TOKEN": "${API_TOKEN}") and have the program read it from there',
    ]);
    // Before the process starts.
    expect(output.indexOf('WARNING')).toBeLessThan(output.indexOf('leaky healthy'));
  });

  it('the engine leaves common values (a port, true) alone and names their variables once', async () => {
    writeFile(workspace.path, '.env.local', 'PUBLIC_PORT=18789\nUSE_TLS=true\nREAL_SECRET=real-SECRET-value\n');
    const output = await runLeaky("console.log('https://localhost:' + process.env.PUBLIC_PORT + ' tls=' + process.env.USE_TLS + ' ' + process.env.REAL_SECRET);");
    expect(output).toContain('[leaky] https://localhost:18789 tls=true ***');
    expect(output.split('\n').filter((line) => line.includes('not hiding'))).toEqual([
      '[loa] not hiding PUBLIC_PORT, USE_TLS in output: their values are a common word or number (true, https, localhost, a port…) or a path in the workspace, which would garble every line it occurs in',
    ]);
    expect(output).not.toContain('real-SECRET-value');
  });

  it('the engine refuses a NUL byte in .env.local: one line naming file, line and variable, exit 1, nothing started', async () => {
    writeFile(workspace.path, '.env.local', 'GOOD=fine-value\nBAD_TOKEN=abc\0def-secretpart\n');
    writeFile(workspace.path, 'starter.mjs', "import { writeFileSync } from 'node:fs';\nwriteFileSync('started.txt', 'yes');\nsetInterval(() => {}, 1000);\n");
    writeFile(
      workspace.path,
      'options.json',
      JSON.stringify({ processes: [{ name: 'starter', command: 'node', args: ['starter.mjs'] }], rules: [{ match: ['src/**'], restart: ['starter'] }] }),
    );
    const { code, output } = await runEngine(process.env);

    expect(code).toBe(1);
    const errors = output.split('\n').filter((line) => line.includes('ERROR'));
    expect(errors).toEqual([
      '[loa] ERROR: .env.local line 2 (BAD_TOKEN) contains a NUL byte, which no process environment can hold — remove it from the file (retype the value of BAD_TOKEN)',
    ]);
    expect(output).not.toMatch(/abc|secretpart|\n\s+at /);
    expect(existsSync(join(workspace.path, 'started.txt'))).toBe(false);
  });
});
