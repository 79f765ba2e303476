import { isDeepStrictEqual } from 'node:util';

export interface SmokeCheck {
  urls: string[];
  attempts: number;
  /** Attempt i waits i × delaySeconds before the next one (the seed's backoff). */
  delaySeconds: number;
  timeoutSeconds: number;
  expectStatus: number;
  /** JSON path (dots: `a.b.0`) → expected value. */
  expectJson?: Record<string, unknown>;
}

export interface UrlResult {
  url: string;
  ok: boolean;
  attempts: number;
  /** The last status or error, for the summary. */
  last: string;
}

export interface SmokeResult {
  ok: boolean;
  results: UrlResult[];
  summary: string;
}

type Sleep = (ms: number) => Promise<void>;
const realSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Reads `a.b.0` out of parsed JSON. */
export function jsonPath(value: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((node, key) => (node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined), value);
}

/** What is wrong with one answer, or undefined when it is what was expected. A body may be JSON or HTML. */
export function judgeAnswer(status: number, body: string, check: Pick<SmokeCheck, 'expectStatus' | 'expectJson'>): string | undefined {
  if (status !== check.expectStatus) return `HTTP ${status} (expected ${check.expectStatus})`;
  if (!check.expectJson) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return `HTTP ${status}, body is not JSON (${body.trimStart().slice(0, 40).replace(/\s+/g, ' ')}…)`;
  }
  for (const [path, expected] of Object.entries(check.expectJson)) {
    const actual = jsonPath(parsed, path);
    if (!isDeepStrictEqual(actual, expected)) return `HTTP ${status}, ${path} is ${JSON.stringify(actual)} (expected ${JSON.stringify(expected)})`;
  }
  return undefined;
}

const CONNECTION_ERRORS = /ECONNREFUSED|EADDRNOTAVAIL|ENOTFOUND|EHOSTUNREACH|ENETUNREACH/;

async function fetchOnce(url: string, timeoutSeconds: number): Promise<{ status: number; body: string } | { error: string }> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutSeconds * 1000), headers: { 'user-agent': 'loa-smoke' } });
    return { status: response.status, body: await response.text() };
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    if ((error as Error).name === 'TimeoutError') return { error: `no answer within ${timeoutSeconds} s` };
    return { error: cause?.code ?? cause?.message ?? (error as Error).message };
  }
}

/** One attempt at one URL. `localhost` that refuses is tried again on IPv4 loopback (it may resolve to ::1 first). */
async function attempt(url: string, check: SmokeCheck): Promise<string | undefined> {
  let answer = await fetchOnce(url, check.timeoutSeconds);
  const parsed = new URL(url);
  if ('error' in answer && parsed.hostname === 'localhost' && CONNECTION_ERRORS.test(answer.error)) {
    parsed.hostname = '127.0.0.1';
    answer = await fetchOnce(parsed.toString(), check.timeoutSeconds);
  }
  if ('error' in answer) return answer.error;
  return judgeAnswer(answer.status, answer.body, check);
}

/** Checks each URL in turn, with retries and backoff; stops at the first URL that never passes. */
export async function smokeTest(check: SmokeCheck, print: (line: string) => void, sleep: Sleep = realSleep): Promise<SmokeResult> {
  const results: UrlResult[] = [];
  for (const url of check.urls) {
    let last = 'not tried';
    let passed = false;
    let tries = 0;
    for (let i = 1; i <= check.attempts && !passed; i += 1) {
      tries = i;
      const problem = await attempt(url, check);
      passed = problem === undefined;
      last = problem ?? `HTTP ${check.expectStatus}`;
      if (passed) print(`[smoke] ${url} attempt ${i}/${check.attempts}: ok`);
      else if (i < check.attempts) {
        print(`[smoke] ${url} attempt ${i}/${check.attempts}: ${problem}; next in ${i * check.delaySeconds} s`);
        await sleep(i * check.delaySeconds * 1000);
      } else print(`[smoke] ${url} attempt ${i}/${check.attempts}: ${problem}`);
    }
    results.push({ url, ok: passed, attempts: tries, last });
    if (!passed) break;
  }
  for (const url of check.urls.slice(results.length)) results.push({ url, ok: false, attempts: 0, last: 'not tried (an earlier URL failed)' });
  const ok = results.every((r) => r.ok);
  const summary = ok
    ? `smoke test passed: ${results.map((r) => r.url).join(', ')}`
    : `smoke test FAILED: ${results.map((r) => `${r.url} → ${r.last}${r.attempts ? ` after ${r.attempts} attempt(s)` : ''}`).join('; ')}`;
  return { ok, results, summary };
}
