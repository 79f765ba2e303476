import { composeArgs, downArgs, followLogsArgs, namedVolumes, publishedPorts, upArgs, type ComposeTarget } from './compose.ts';

const v2: ComposeTarget = { cli: { command: '/usr/bin/docker', prefix: ['compose'], version: 'v2' }, root: '/ws', files: ['docker-compose.dev.yml', 'tools/docker/compose.ci.yml'] };

describe('compose argument builders', () => {
  it('layers every compose file, absolute, after the plugin word and the plain-output switch', () => {
    expect(composeArgs(v2, ['ps'])).toEqual(['compose', '--ansi', 'never', '-f', '/ws/docker-compose.dev.yml', '-f', '/ws/tools/docker/compose.ci.yml', 'ps']);
  });

  it('speaks v1 and passes a project name', () => {
    const v1: ComposeTarget = { cli: { command: '/usr/bin/docker-compose', prefix: [], version: 'v1' }, root: '/ws', files: ['a.yml'], projectName: 'p' };
    expect(composeArgs(v1, ['down'])).toEqual(['--no-ansi', '-f', '/ws/a.yml', '-p', 'p', 'down']);
  });

  it('starts detached and recreated, building only when asked', () => {
    expect(upArgs(false)).toEqual(['up', '--detach', '--force-recreate']);
    expect(upArgs(true)).toEqual(['up', '--detach', '--force-recreate', '--build']);
  });

  it('keeps the data volume on down and removes it on clean', () => {
    expect(downArgs(false)).toEqual(['down']);
    expect(downArgs(true)).toEqual(['down', '-v', '--remove-orphans']);
  });

  it('follows one service from a point in time', () => {
    expect(followLogsArgs('loa-dev', new Date('2026-01-01T00:00:00Z'))).toEqual(['logs', '--follow', '--no-log-prefix', '--since', '2026-01-01T00:00:00.000Z', 'loa-dev']);
  });
});

describe('reading the merged compose config', () => {
  it('names volumes by their name: field', () => {
    expect(namedVolumes({ volumes: { 'loa-data': { name: 'loa-dev-data-v1' }, plain: null } })).toEqual(['loa-dev-data-v1', 'plain']);
  });

  it('reads published ports in short and long form, and none under host networking', () => {
    expect(publishedPorts({ services: { 'loa-dev': { ports: ['18789:18789', '127.0.0.1:3000:3000', { published: '8080' }] } } }, 'loa-dev')).toEqual([18789, 3000, 8080]);
    expect(publishedPorts({ services: { 'loa-dev': {} } }, 'loa-dev')).toEqual([]);
  });
});
