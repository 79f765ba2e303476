import { describeFiles, routeChanges, watchRoots, type ReloadRule } from './rules.ts';

const rules: ReloadRule[] = [
  { match: ['libs/loa-identity/**/*.ts', '.claude/lib/**/*.ts'], restart: ['identity'] },
  { match: ['grimoires/loa/BEAUVOIR.md'], run: { command: 'node', args: ['soul.ts'] }, restart: ['gateway'] },
  { match: ['grimoires/**', '.claude/**'], notify: 'mounted live' },
  { match: ['apps/loa/docker/**', 'docker-compose.dev.yml'], notify: 'run dev-build' },
];

describe('routeChanges', () => {
  it('sends an identity .ts change to identity only', () => {
    const plan = routeChanges(['libs/loa-identity/src/wal.ts'], rules);
    expect([...plan.restarts]).toEqual([['identity', ['libs/loa-identity/src/wal.ts']]]);
  });

  it('treats .claude/lib TypeScript as identity code (it is imported by it)', () => {
    expect([...routeChanges(['.claude/lib/persistence/jsonl.ts'], rules).restarts.keys()]).toEqual(['identity']);
  });

  it('gives each file to the first matching rule: BEAUVOIR.md restarts the gateway, other grimoires only notify', () => {
    const plan = routeChanges(['grimoires/loa/BEAUVOIR.md', 'grimoires/loa/notes.md', '.claude/settings.json'], rules);
    expect(plan.hits.map((hit) => [hit.rule, hit.files])).toEqual([
      [rules[1], ['grimoires/loa/BEAUVOIR.md']],
      [rules[2], ['.claude/settings.json', 'grimoires/loa/notes.md']],
    ]);
    expect([...plan.restarts.keys()]).toEqual(['gateway']);
  });

  it('collects files that match nothing, and de-duplicates repeated events', () => {
    const plan = routeChanges(['README.md', 'libs/loa-identity/src/a.ts', 'libs/loa-identity/src/a.ts'], rules);
    expect(plan.unmatched).toEqual(['README.md']);
    expect(plan.restarts.get('identity')).toEqual(['libs/loa-identity/src/a.ts']);
  });

  it('batches a burst into one restart entry per process', () => {
    const files = Array.from({ length: 500 }, (_, i) => `libs/loa-identity/src/gen/f${i}.ts`);
    const plan = routeChanges(files, rules);
    expect(plan.restarts.size).toBe(1);
    expect(plan.restarts.get('identity')).toHaveLength(500);
  });

  it('normalises Windows separators', () => {
    expect(routeChanges(['libs\\loa-identity\\src\\x.ts'], rules).restarts.has('identity')).toBe(true);
  });
});

describe('watchRoots', () => {
  it('watches the static part of each glob, folding nested paths into their parent', () => {
    expect(watchRoots(rules)).toEqual(['.claude', 'apps/loa/docker', 'docker-compose.dev.yml', 'grimoires', 'libs/loa-identity']);
  });

  it('watches the root when a glob starts with a wildcard', () => {
    expect(watchRoots([{ match: ['**/*.ts', 'src/**'], notify: 'x' }])).toEqual(['.']);
  });
});

describe('describeFiles', () => {
  it('lists a few files and counts the rest', () => {
    expect(describeFiles(['a', 'b'])).toBe('a, b');
    expect(describeFiles(['a', 'b', 'c', 'd', 'e'])).toBe('a, b, c and 2 more');
  });

  it('never sends a file name\'s control characters to the terminal (escape sequences, a forged line)', () => {
    expect(describeFiles(['libs/x\u001b[2J\u001b[31mred.ts', 'grimoires/a\n[loa] ready in 1 ms.md', 'ünï 🚀.md'])).toBe(
      'libs/x\\x1b[2J\\x1b[31mred.ts, grimoires/a\\x0a[loa] ready in 1 ms.md, ünï 🚀.md',
    );
  });
});
