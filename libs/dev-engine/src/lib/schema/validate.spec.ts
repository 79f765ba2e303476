import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { optionProblems } from '../../testing/fixtures.ts';
import { globProblem, httpUrlProblem, validateOptions } from './validate.ts';

// The engine's own schema: the dev target's options. The plugin's executors' schemas are checked by the
// same validator in libs/plugin/src/executors/schemas.spec.ts.
const schemaOf = (name: 'dev') => JSON.parse(readFileSync(join(import.meta.dirname, `../${name}-engine/schema.json`), 'utf8'));

const problems = optionProblems;

describe('httpUrlProblem', () => {
  it.each(['http://127.0.0.1:3000/health', 'https://loa-beauvoir.${CF_SUBDOMAIN}.workers.dev/sandbox-health', 'http://${HOST:-localhost}:8080'])('accepts %s', (url) => {
    expect(httpUrlProblem(url)).toBeUndefined();
  });
  it.each([
    ['notaurl', 'it must be an http:// or https:// URL'],
    ['ftp://example.com', 'it must be an http:// or https:// URL, not ftp://'],
    ['127.0.0.1:3000/health', 'it must be an http:// or https:// URL'],
    ['http//:x', 'it must be an http:// or https:// URL'],
    ['https://admin:hunter2@example.com/health', 'a URL with credentials (user:password@) cannot be fetched, and would be printed — remove them from the URL'],
    ['http://token@127.0.0.1:3000', 'a URL with credentials (user:password@) cannot be fetched, and would be printed — remove them from the URL'],
  ])('rejects %s', (url, problem) => {
    expect(httpUrlProblem(url)).toBe(problem);
  });
});

describe('globProblem', () => {
  it.each(['libs/**/*.ts', './grimoires/**', 'a..b/*.md', 'grimoires/loa/BEAUVOIR.md', 'src/[a-z]*.ts', 'src/[]]x', 'a/{b,c}/**', 'a/\\[literal', 'x/@(a|b).ts'])('accepts %s', (glob) => {
    expect(globProblem(glob)).toBeUndefined();
  });
  it.each([
    ['watched/[**', '"[" is never closed — close it with "]" or escape it as \\['],
    ['a/{b,c', '"{" is never closed — close it with "}" or escape it as \\{'],
    ['a/b}', '"}" at position 4 closes nothing — escape it as \\} or remove it'],
    ['', 'an empty glob matches nothing'],
    ['/**', 'an absolute glob never matches: globs are relative to the workspace root — drop the leading "/"'],
    ['/work/main/grimoires/**', 'an absolute glob never matches: globs are relative to the workspace root — drop the leading "/"'],
    ['../**', '".." leads outside the workspace: globs are relative to the workspace root, and only files in it are matched'],
    ['libs/../../other/*.ts', '".." leads outside the workspace: globs are relative to the workspace root, and only files in it are matched'],
  ])('rejects %j', (glob, problem) => {
    expect(globProblem(glob)).toBe(problem);
  });
});

describe('validateOptions', () => {
  const dev = schemaOf('dev');

  it('fills defaults, nested ones too, and leaves the input alone', () => {
    const input = { processes: [{ name: 'a', command: 'node' }] };
    const valid = validateOptions<{ debounceMs: number; runtime: string }>(dev, input);
    expect(valid).toMatchObject({ runtime: 'auto', debounceMs: 20, envFile: '.env.local', force: false });
    expect(input).toEqual({ processes: [{ name: 'a', command: 'node' }] });
  });

  it('reports the branch of a oneOf the value was meant for, or one line when none fits', () => {
    const processes = [
      { name: 'a', command: 'node', health: { http: 'notaurl' } },
      { name: 'b', command: 'node', health: { tcp: { port: 0 } } },
      { name: 'c', command: 'node', health: { http: 'http://x', tcp: { port: 1 } } },
      { name: 'd', command: 42 },
    ];
    expect(problems(dev, { processes })).toEqual([
      'processes[0].health.http is "notaurl" — it must be an http:// or https:// URL',
      'processes[1].health.tcp.port is 0 — it must be >= 1',
      'processes[2].health is {"http":"http://x","tcp":{"port":1}} — it must be exactly one of: an object with "http"; an object with "tcp"',
      'processes[3].command is 42 — it must be exactly one of: a string; an array',
    ]);
  });

  it('refuses a time in ms that a Node timer cannot hold (above 2^31-1 it silently becomes 1 ms)', () => {
    const dev = schemaOf('dev');
    const options = { processes: [{ name: 'a', command: 'a', startTimeoutMs: 2 ** 31 }], rules: [], debounceMs: 3e9, graceMs: 2 ** 31 };
    expect(problems(dev, options)).toEqual([
      'processes[0].startTimeoutMs is 2147483648 — it must be <= 2147483647',
      'debounceMs is 3000000000 — it must be <= 2147483647',
      'graceMs is 2147483648 — it must be <= 2147483647',
    ]);
  });
});
