import { buildxArgs, progressMode, sizeReport } from './docker-images.ts';

describe('buildxArgs', () => {
  it('builds with BuildKit, loads the image, passes build args and the network', () => {
    expect(
      buildxArgs({ dockerfile: 'apps/loa/docker/Dockerfile.dev', tag: 'loa-dev:local', context: '.', buildArgs: { BASE_IMAGE: 'loa-base:local' }, network: 'host', progress: 'plain' }),
    ).toEqual(['buildx', 'build', '--load', '-f', 'apps/loa/docker/Dockerfile.dev', '-t', 'loa-dev:local', '--progress', 'plain', '--build-arg', 'BASE_IMAGE=loa-base:local', '--network', 'host', '.']);
  });

  it('passes an empty build arg (GATEWAY_PACKAGE= skips the gateway)', () => {
    expect(buildxArgs({ dockerfile: 'D', tag: 't', context: '.', buildArgs: { GATEWAY_PACKAGE: '' }, progress: 'tty' })).toContain('GATEWAY_PACKAGE=');
  });
});

describe('progressMode', () => {
  it('is plain off a terminal or in CI, tty on a terminal, and as asked otherwise', () => {
    expect(progressMode('auto', false, {})).toBe('plain');
    expect(progressMode('auto', true, { CI: 'true' })).toBe('plain');
    expect(progressMode('auto', true, {})).toBe('tty');
    expect(progressMode('plain', true, {})).toBe('plain');
  });
});

describe('sizeReport', () => {
  it('reports the overhead over the base against the budget', () => {
    const report = sizeReport('loa-dev:local', 551_000_000, 'loa-base:local', 536_000_000, 100);
    expect(report).toMatchObject({ overheadMb: 15, overBudget: false });
    expect(report.line).toBe('loa-dev:local: 551 MB; 15.0 MB over its base loa-base:local (536 MB); budget 100 MB');
  });

  it('flags an image over budget', () => {
    expect(sizeReport('t', 300_000_000, 'b', 100_000_000, 100).line).toMatch(/200\.0 MB over .* OVER BUDGET$/);
  });
});
