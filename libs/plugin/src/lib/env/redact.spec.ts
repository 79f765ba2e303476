import { createRedactor, REDACTED } from './redact.ts';

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

  it('replaces the longer secret first so a secret containing another is not half shown', () => {
    const redact = createRedactor({ A: 'abcd', B: 'abcdefgh' });
    expect(redact('abcdefgh')).toBe(REDACTED);
  });

  it('ignores empty and very short values (they would blank ordinary text)', () => {
    const redact = createRedactor({ EMPTY: '', ONE: '1' });
    expect(redact('port 1 is fine')).toBe('port 1 is fine');
  });
});
