import { createRedactor, isCommonValue, REDACTED, secretsInArgsWarnings, skippedNotice } from './redact.ts';

const PEM = '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\nBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj\n-----END PRIVATE KEY-----';

describe('createRedactor', () => {
  it('hides every value from the env file, wherever it appears in a line', () => {
    const redact = createRedactor({ ANTHROPIC_API_KEY: 'sk-ant-secret-123', PLAIN: 'visible-but-from-env-file' });
    expect(redact('key=sk-ant-secret-123 and again sk-ant-secret-123')).toBe(`key=${REDACTED} and again ${REDACTED}`);
    expect(redact('visible-but-from-env-file')).toBe(REDACTED);
  });

  it('hides environment values whose names mark them secret, and leaves others', () => {
    const redact = createRedactor({}, { CLOUDFLARE_API_TOKEN: 'cf-token-abc', HOME: '/root', R2_SECRET_ACCESS_KEY: 'r2-secret-xyz' });
    expect(redact('token cf-token-abc in /root with r2-secret-xyz')).toBe(`token ${REDACTED} in /root with ${REDACTED}`);
  });

  it("hides every Cloudflare variable's value (CLOUDFLARE_*, CF_*), secret-looking name or not", () => {
    const redact = createRedactor({}, { CF_SUBDOMAIN: 'my-team-sub', CLOUDFLARE_ACCOUNT_ID: 'acct-77aa2', CFG_PATH: 'cfg-visible' });
    expect(redact('https://loa.my-team-sub.workers.dev for acct-77aa2, cfg-visible')).toBe(`https://loa.${REDACTED}.workers.dev for ${REDACTED}, cfg-visible`);
  });

  it('hides a multi-line value as a whole and each of its lines on its own (output arrives a line at a time)', () => {
    const redact = createRedactor({ TLS_KEY: PEM });
    expect(redact(`key:\n${PEM}\nend`)).toBe(`key:\n${REDACTED}\nend`);
    for (const line of PEM.split('\n')) expect(redact(`[svc] ${line}`)).toBe(`[svc] ${REDACTED}`);
    // Printed as JSON: one line holding every line of the value, joined by a literal \n.
    expect(redact(JSON.stringify(PEM))).not.toMatch(/MIIE|BKcw|BEGIN|END/);
    // CRLF files and indented output.
    const crlf = createRedactor({ K: 'first-line-secret\r\n   second-line-secret  ' });
    expect(crlf('  second-line-secret')).toBe(`  ${REDACTED}`);
  });

  it('replaces the longer secret first so a secret containing another is not half shown', () => {
    const redact = createRedactor({ A: 'abcd', B: 'abcdefgh' });
    expect(redact('abcdefgh')).toBe(REDACTED);
  });

  it('ignores empty and very short values (they would blank ordinary text)', () => {
    const redact = createRedactor({ EMPTY: '', ONE: '1', ABC: 'abc' });
    expect(redact('port 1 is fine, abc')).toBe('port 1 is fine, abc');
    expect(redact.skipped).toEqual(['ONE']);
  });

  it('leaves common values alone (true, https, localhost, a port, an address) and names their variables, never their values', () => {
    const env = { SECURE: 'true', SCHEME: 'https', HOST: 'localhost', PORT: '18789', BIND: '0.0.0.0', LOOP: '127.0.0.1', MODE: 'development', KEY: 'sk-real-secret' };
    const redact = createRedactor(env, { CF_ENV: 'Production' });
    expect(redact('https://localhost:18789 on 0.0.0.0 / 127.0.0.1, development, secure=true, key sk-real-secret')).toBe(
      `https://localhost:18789 on 0.0.0.0 / 127.0.0.1, development, secure=true, key ${REDACTED}`,
    );
    expect(redact.skipped).toEqual(['BIND', 'CF_ENV', 'HOST', 'LOOP', 'MODE', 'PORT', 'SCHEME', 'SECURE']);
    const notice = skippedNotice(redact) ?? '';
    expect(notice).toBe(
      'not hiding BIND, CF_ENV, HOST, LOOP, MODE, PORT, SCHEME, SECURE in output: their values are a common word or number (true, https, localhost, a port…) or a path in the workspace, which would garble every line it occurs in',
    );
    expect(notice).not.toMatch(/18789|0\.0\.0\.0|127\.0\.0\.1|development|Production/);
    expect(skippedNotice(createRedactor({ KEY: 'sk-real-secret' }))).toBeUndefined();
  });

  it.each(['true', 'FALSE', 'http', 'https', 'localhost', '8080', '3000', '0.0.0.0', '127.0.0.1', 'development', 'production', 'debug'])('%s is common', (value) => {
    expect(isCommonValue(value)).toBe(true);
  });
  it.each(['sk-ant-123', 'deadbeef', 'localhost:3000x', 'true-secret', '1.2.3.x'])('%s is not common', (value) => {
    expect(isCommonValue(value)).toBe(false);
  });

  it('keeps the values of every occurrence: a value shadowed by a later file is still hidden', () => {
    const redact = createRedactor([
      ['TOKEN_A', 'first-file-value'],
      ['TOKEN_A', 'second-file-value'],
    ]);
    expect(redact('first-file-value second-file-value')).toBe(`${REDACTED} ${REDACTED}`);
  });
});

describe('secretsInArgsWarnings', () => {
  it('names each process and the variables whose hidden values are in its args, and recommends env', () => {
    const redact = createRedactor({ OPENCLAW_GATEWAY_TOKEN: 'gw-token-1234', ANTHROPIC_API_KEY: 'sk-ant-9876', PORT: '18789' });
    const warnings = secretsInArgsWarnings(
      [
        { name: 'gateway', args: ['gateway', '--port', '18789', '--token', 'gw-token-1234'] },
        { name: 'identity', args: ['main.ts'] },
        { name: 'both', args: ['--a=gw-token-1234', '--b=sk-ant-9876'] },
      ],
      redact,
    );
    expect(warnings).toEqual([
      'WARNING: gateway gets OPENCLAW_GATEWAY_TOKEN in its "args", where anyone on this machine can read it with ps — pass it through the process\'s "env" instead ("OPENCLAW_GATEWAY_TOKEN": "${OPENCLAW_GATEWAY_TOKEN}") and have the program read it from there',
      'WARNING: both gets ANTHROPIC_API_KEY, OPENCLAW_GATEWAY_TOKEN in its "args", where anyone on this machine can read them with ps — pass them through the process\'s "env" instead ("ANTHROPIC_API_KEY": "${ANTHROPIC_API_KEY}", "OPENCLAW_GATEWAY_TOKEN": "${OPENCLAW_GATEWAY_TOKEN}") and have the program read them from there',
    ]);
    expect(warnings.join('\n')).not.toMatch(/gw-token-1234|sk-ant-9876/);
  });
});
