import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join, resolve } from 'node:path';
import { freePort, tempDir, writeFile } from '../../../../dev-engine/src/testing/fixtures.ts';
import { deployCf } from './deploy-cf.ts';
import type { DeployCfExecutorSchema } from './schema.d.ts';

const STUB = join(import.meta.dirname, '../../testing/stub-wrangler.mjs');
const REPO = resolve(import.meta.dirname, '../../../../..');
const TOKEN = 'cf-token-SECRET-4b9e1';
const ACCOUNT = 'acct-SECRET-77aa2';

const defaults = (overrides: Partial<DeployCfExecutorSchema> = {}): DeployCfExecutorSchema => ({
  cwd: 'apps/loa/cloudflare',
  wrangler: STUB,
  dryRun: false,
  outDir: 'dist/worker',
  rollback: true,
  workerFiles: ['apps/loa/cloudflare/**'],
  imageInputs: ['apps/loa/docker/**', '.claude/**', 'grimoires/**', 'libs/loa-identity/**'],
  smokeAttempts: 2,
  smokeDelaySeconds: 0,
  smokeTimeoutSeconds: 2,
  ...overrides,
});

describe('deploy-cf (stub wrangler at the Cloudflare edge, real smoke servers)', () => {
  let workspace: ReturnType<typeof tempDir>;
  const servers: Server[] = [];
  let hits: string[];
  let lines: string[];
  let statusBody: string;
  // Beside the workspace, not in it: the workspace is a git repository whose changes are under test.
  const log = () => `${workspace.path}.wrangler-calls.jsonl`;
  const calls = (): Array<{ args: string[]; env: Record<string, string> }> =>
    existsSync(log()) ? readFileSync(log(), 'utf8').trim().split('\n').map((line) => JSON.parse(line)) : [];
  const env = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
    PATH: process.env.PATH,
    CLOUDFLARE_API_TOKEN: TOKEN,
    CLOUDFLARE_ACCOUNT_ID: ACCOUNT,
    STUB_WRANGLER_LOG: log(),
    ...extra,
  });
  const run = (options: DeployCfExecutorSchema, extra?: NodeJS.ProcessEnv) => deployCf(options, { root: workspace.path, env: env(extra), print: (line) => lines.push(line) });

  beforeEach(async () => {
    workspace = tempDir('loa-deploy-');
    writeFile(workspace.path, 'apps/loa/cloudflare/wrangler.jsonc', '// the Worker\n{ "name": "loa-beauvoir", "main": "src/index.ts" }\n');
    hits = [];
    lines = [];
    statusBody = '{"ok":true,"status":"running","processId":"p1"}';
  });
  afterEach(async () => {
    for (const server of servers.splice(0)) {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
    rmSync(log(), { force: true });
    workspace.remove();
  });

  async function worker(): Promise<string> {
    const port = await freePort();
    const server = createServer((request, response) => {
      hits.push(request.url ?? '');
      response.setHeader('content-type', 'application/json');
      response.end(request.url === '/sandbox-health' ? '{"status":"ok","service":"moltbot-sandbox","gateway_port":18789}' : statusBody);
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
    return `http://127.0.0.1:${port}`;
  }

  it('deploys, smoke-tests /sandbox-health then /api/status, and passes secrets only through the environment', async () => {
    expect(await run(defaults({ url: await worker() }))).toBe(0);
    expect(calls().map((c) => c.args)).toEqual([['deploy']]);
    expect(calls()[0].env).toEqual({ CLOUDFLARE_API_TOKEN: TOKEN, CLOUDFLARE_ACCOUNT_ID: ACCOUNT, WRANGLER_SEND_METRICS: 'false' });
    expect(hits).toEqual(['/sandbox-health', '/api/status']);
    expect(lines).toContain('[wrangler] Using account *** (token ***)');
    expect(lines.at(-1)).toMatch(/^\[deploy\] deployed loa-beauvoir \(Worker and container\)/);
  });

  it('never shows a secret: not in any line printed, not in any argument', async () => {
    await run(defaults({ url: await worker() }), { STUB_WRANGLER_FAIL: 'deploy' });
    await run(defaults({ url: await worker() }));
    statusBody = '{"ok":false,"status":"not_running"}';
    await run(defaults({ url: await worker() }));
    const printed = lines.join('\n');
    const argv = JSON.stringify(calls().map((c) => c.args));
    for (const secret of [TOKEN, ACCOUNT]) {
      expect(printed).not.toContain(secret);
      expect(argv).not.toContain(secret);
    }
  });

  it('a failed deploy stops there: no smoke test, no rollback', async () => {
    const url = await worker();
    expect(await run(defaults({ url }), { STUB_WRANGLER_FAIL: 'deploy' })).toBe(1);
    expect(calls().map((c) => c.args[0])).toEqual(['deploy']);
    expect(hits).toEqual([]);
    expect(lines.at(-1)).toBe('[deploy] ERROR: wrangler deploy failed (exit 1); nothing new is live, so no smoke test and no rollback');
  });

  it('a failed smoke test rolls back with --yes and exits non-zero with a summary', async () => {
    statusBody = '{"ok":false,"status":"not_responding","processId":"p1"}';
    const url = await worker();
    expect(await run(defaults({ url }))).toBe(1);
    expect(calls().map((c) => c.args)).toEqual([['deploy'], ['rollback', '--yes', '--message', 'Automated rollback: smoke test failed after deploy of loa-beauvoir']]);
    expect(lines.at(-1)).toBe(
      `[deploy] ERROR: smoke test FAILED: ${url}/api/status → HTTP 200, ok is false (expected true) after 2 attempt(s); rolled loa-beauvoir back to its previous version (Durable Objects and R2 are not reverted by a rollback)`,
    );
  });

  it('says so when the rollback fails too, and when rollback is off', async () => {
    statusBody = '{"ok":false}';
    const url = await worker();
    expect(await run(defaults({ url }), { STUB_WRANGLER_FAIL: 'rollback' })).toBe(1);
    expect(lines.at(-1)).toMatch(/the rollback FAILED too \(exit 1\) — roll back by hand: npx wrangler rollback$/);
    lines = [];
    expect(await run(defaults({ url, rollback: false }))).toBe(1);
    expect(calls().filter((c) => c.args[0] === 'rollback')).toHaveLength(1);
    expect(lines.at(-1)).toMatch(/rollback is off, so the new version stays live/);
  });

  it('stops before wrangler when a secret is missing, naming it', async () => {
    const result = await deployCf(defaults({ url: 'http://127.0.0.1:1' }), { root: workspace.path, env: { PATH: process.env.PATH, STUB_WRANGLER_LOG: log(), CLOUDFLARE_ACCOUNT_ID: ACCOUNT }, print: (l) => lines.push(l) });
    expect(result).toBe(1);
    expect(calls()).toEqual([]);
    expect(lines).toEqual([expect.stringMatching(/^\[deploy\] ERROR: CLOUDFLARE_API_TOKEN not set — set it in the environment/)]);
  });

  it('checks every option before wrangler runs: nothing deployed, one line per problem', async () => {
    const bad = { smokeAttempts: 0, smokeTimeoutSeconds: -1, url: 'notaurl', workerFiles: ['apps/loa/cloudflare/[**'] };
    expect(await run(defaults(bad as Partial<DeployCfExecutorSchema>))).toBe(1);
    expect(calls()).toEqual([]);
    expect(lines).toEqual([
      '[deploy] ERROR: url is "notaurl" — it must be an http:// or https:// URL',
      '[deploy] ERROR: workerFiles[0] is "apps/loa/cloudflare/[**" — "[" is never closed — close it with "]" or escape it as \\[',
      '[deploy] ERROR: smokeAttempts is 0 — it must be >= 1',
      '[deploy] ERROR: smokeTimeoutSeconds is -1 — it must be > 0',
    ]);
  });

  it('refuses a url with credentials before wrangler runs (fetch refuses it: the deploy would be rolled back), password unprinted', async () => {
    expect(await run(defaults({ url: 'https://admin:hunter2pass@loa.example.workers.dev' }))).toBe(1);
    expect(calls()).toEqual([]);
    expect(lines).toEqual(['[deploy] ERROR: url is "https://***@loa.example.workers.dev" — a URL with credentials (user:password@) cannot be fetched, and would be printed — remove them from the URL']);
  });

  it('refuses a wrangler.jsonc with a syntax error, naming file, line and column, before wrangler runs', async () => {
    writeFile(workspace.path, 'apps/loa/cloudflare/wrangler.jsonc', '// the Worker\n{ "name": "loa-beauvoir",\n  "main": "src/index.ts"\n  "compatibility_date": "2026-01-01" }\n');
    expect(await run(defaults({ url: await worker() }))).toBe(1);
    expect(await run(defaults({ dryRun: true }))).toBe(1);
    expect(calls()).toEqual([]);
    expect(lines).toEqual([
      '[deploy] ERROR: apps/loa/cloudflare/wrangler.jsonc:4:3: CommaExpected — fix the syntax there',
      '[deploy] ERROR: apps/loa/cloudflare/wrangler.jsonc:4:3: CommaExpected — fix the syntax there',
    ]);
  });

  it('needs CF_SUBDOMAIN for the default URL, and hides it', async () => {
    expect(await run(defaults())).toBe(1);
    expect(lines[0]).toMatch(/CF_SUBDOMAIN not set/);
  });

  describe('image-aware deploys, on scripted git history', () => {
    const git = (...args: string[]) => {
      const result = spawnSync('git', args, { cwd: workspace.path, encoding: 'utf8' });
      if (result.status !== 0) throw new Error(result.stderr);
      return result.stdout.trim();
    };
    const commit = (file: string, content: string) => {
      writeFile(workspace.path, file, content);
      git('add', '-A');
      git('-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', file);
      return git('rev-parse', 'HEAD');
    };

    beforeEach(() => {
      git('init', '-q');
      commit('README.md', 'x');
    });

    it('deploys the Worker only when only its own files changed', async () => {
      const base = git('rev-parse', 'HEAD');
      commit('apps/loa/cloudflare/src/gateway.ts', 'export {}');
      expect(await run(defaults({ url: await worker() }), { NX_BASE: base, NX_HEAD: 'HEAD' })).toBe(0);
      expect(calls()[0].args).toEqual(['deploy', '--containers-rollout=none']);
      expect(lines).toContain('[deploy] deploying loa-beauvoir: Worker only (--containers-rollout=none): 1 changed file(s), all the Worker\'s own, none an image input');
    });

    it('deploys everything when an image input changed, when other files changed, or when the base is unknown', async () => {
      const url = await worker();
      const base = git('rev-parse', 'HEAD');
      commit('apps/loa/cloudflare/src/gateway.ts', 'export {}');
      commit('grimoires/loa/BEAUVOIR.md', '# v2');
      await run(defaults({ url, base }));
      const afterGrimoire = git('rev-parse', 'HEAD');
      commit('package-lock.json', '{}');
      await run(defaults({ url, base: afterGrimoire }));
      await run(defaults({ url, base: 'no-such-commit' }));
      await run(defaults({ url }));
      expect(calls().map((c) => c.args)).toEqual([['deploy'], ['deploy'], ['deploy'], ['deploy']]);
      expect(lines.filter((l) => l.startsWith('[deploy] deploying'))).toEqual([
        "[deploy] deploying loa-beauvoir: full deploy: the container image's inputs changed (grimoires/loa/BEAUVOIR.md)",
        '[deploy] deploying loa-beauvoir: full deploy: files outside the Worker changed (package-lock.json)',
        '[deploy] deploying loa-beauvoir: full deploy: the change set is unknown (no base to compare with)',
        '[deploy] deploying loa-beauvoir: full deploy: the change set is unknown (no base to compare with)',
      ]);
    });
  });

  it('refuses a base or head that git would read as an option, before wrangler runs and before git diff writes anything', async () => {
    const url = await worker();
    const written = join(workspace.path, 'written-by-git.txt');
    expect(await run(defaults({ url, base: `--output=${written}` }))).toBe(1);
    expect(await run(defaults({ url }), { NX_BASE: 'HEAD~1', NX_HEAD: '--relative=apps/loa/cloudflare' })).toBe(1);
    expect(calls()).toEqual([]);
    expect(existsSync(written)).toBe(false);
    expect(lines).toEqual([
      `[deploy] ERROR: base is "--output=${written}", which git would read as an option, not a revision — pass a commit SHA or a ref; nothing deployed`,
      '[deploy] ERROR: NX_HEAD is "--relative=apps/loa/cloudflare", which git would read as an option, not a revision — pass a commit SHA or a ref; nothing deployed',
    ]);
  });

  it('dry-runs the real Worker with the real wrangler, offline', async () => {
    const out = join(workspace.path, 'bundle');
    const code = await deployCf(defaults({ cwd: join(REPO, 'apps/loa/cloudflare'), wrangler: undefined, dryRun: true, outDir: out }), {
      root: REPO,
      env: { PATH: process.env.PATH, HOME: process.env.HOME },
      print: (line) => lines.push(line),
    });
    expect({ code, lines: code === 0 ? [] : lines }).toEqual({ code: 0, lines: [] });
    const printed = lines.join('\n');
    expect(printed).toMatch(/env\.Sandbox \(Sandbox\)\s+Durable Object/);
    expect(printed).toMatch(/env\.MOLTBOT_BUCKET \(loa-beauvoir-data\)\s+R2 Bucket/);
    expect(printed).toContain('--dry-run: exiting now.');
    expect(existsSync(join(out, 'index.js'))).toBe(true);
  });
});
