import { readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { freePort, tempDir, writeFile } from '../../../dev-engine/src/testing/fixtures.ts';
import { CF_VALUE, expectNoSecret, PEM, PEM_LINES } from '../../../dev-engine/src/testing/secrets.ts';
import { deployCf } from './deploy-cf/deploy-cf.ts';
import { runSmoke } from './smoke/smoke.ts';

/** No secret reaches output: deploy-cf and smoke against the stub wrangler and servers that echo what they were given. */
const STUB_WRANGLER = join(import.meta.dirname, '../testing/stub-wrangler.mjs');


describe('deploy-cf and smoke: secrets never reach output', () => {
  let workspace: ReturnType<typeof tempDir>;
  beforeEach(() => {
    workspace = tempDir('loa-secrets-');
  });
  afterEach(() => workspace.remove());

  const servers: Server[] = [];
  afterEach(async () => {
    for (const server of servers.splice(0)) {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });

  async function serve(status: number, body: string): Promise<string> {
    const port = await freePort();
    const server = createServer((_request, response) => {
      response.statusCode = status;
      response.setHeader('content-type', 'application/json');
      response.end(body);
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
    return `http://127.0.0.1:${port}`;
  }

  it('deploy-cf hides what wrangler echoes: .env.local values (a PEM among them), a project env file Nx loaded, CF_ values', async () => {
    const dbUrl = 'postgres://loa:db-SECRET-pass@db.internal/loa';
    const projectOnly = 'proj-SECRET-21';
    writeFile(workspace.path, 'apps/loa/cloudflare/wrangler.jsonc', '{ "name": "loa-beauvoir", "main": "src/index.ts" }\n');
    writeFile(workspace.path, '.env.local', `DB_URL=${dbUrl}\nTLS_KEY="${PEM}"\nDEBUG=true\n`);
    writeFile(workspace.path, 'apps/loa/.env.deploy', `PROJECT_ONLY=${projectOnly}\n`);
    const log = `${workspace.path}.wrangler.jsonl`;
    const lines: string[] = [];
    try {
      const code = await deployCf(
        {
          cwd: 'apps/loa/cloudflare',
          wrangler: STUB_WRANGLER,
          dryRun: false,
          outDir: 'dist/worker',
          rollback: true,
          workerFiles: ['apps/loa/cloudflare/**'],
          imageInputs: ['apps/loa/docker/**'],
          smokeAttempts: 1,
          smokeDelaySeconds: 0,
          smokeTimeoutSeconds: 2,
          url: await serve(200, '{"ok":true,"status":"running"}'),
        },
        {
          root: workspace.path,
          // The environment Nx gives the task: the shell's, plus every dotenv file of the task.
          env: {
            PATH: process.env.PATH,
            CLOUDFLARE_API_TOKEN: 'cf-token-SECRET-4b9e1',
            CLOUDFLARE_ACCOUNT_ID: 'acct-SECRET-77aa2',
            CF_ZONE_TAG: CF_VALUE,
            DB_URL: dbUrl,
            TLS_KEY: PEM,
            DEBUG: 'true',
            PROJECT_ONLY: projectOnly,
            STUB_WRANGLER_LOG: log,
            STUB_WRANGLER_ECHO: 'DB_URL,TLS_KEY,PROJECT_ONLY,CF_ZONE_TAG',
          },
          print: (line) => lines.push(line),
          scope: { projectRoot: 'apps/loa', target: 'deploy' },
        },
      );
      expect(code).toBe(0);
      // wrangler really printed them (the call log has them) and we showed *** only.
      expect(readFileSync(log, 'utf8')).toContain('cf-token-SECRET-4b9e1');
      const output = lines.join('\n');
      expectNoSecret(output, ['cf-token-SECRET-4b9e1', 'acct-SECRET-77aa2', CF_VALUE, dbUrl, 'db-SECRET-pass', projectOnly, PEM, ...PEM_LINES]);
      expect(lines).toEqual(expect.arrayContaining(['[wrangler] DB_URL=***', '[wrangler] PROJECT_ONLY=***', '[wrangler] CF_ZONE_TAG=***', '[wrangler] TLS_KEY=***', '[wrangler] ***']));
      expect(lines.filter((line) => line.includes('not hiding'))).toEqual([expect.stringMatching(/^\[deploy\] not hiding DEBUG in output: its value is/)]);
    } finally {
      rmSync(log, { force: true });
    }
  });

  it('smoke hides a value from .env.local that sits in a URL it reports, secret-looking name or not', async () => {
    const pathToken = 'path-SECRET-7a';
    writeFile(workspace.path, '.env.local', `HOOK_PATH=${pathToken}\n`);
    const base = await serve(503, '{"ok":false}');
    const lines: string[] = [];
    const code = await runSmoke(
      { url: `${base}/hook/\${HOOK_PATH}`, attempts: 1, delaySeconds: 0, timeoutSeconds: 2, expectStatus: 200 },
      (line) => lines.push(line),
      { PATH: process.env.PATH, HOOK_PATH: pathToken },
      { root: workspace.path },
    );
    expect(code).toBe(1);
    const output = lines.join('\n');
    expect(output).toContain('/hook/***');
    expect(output).not.toContain(pathToken);
  });
});
