import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readConfig } from './config.ts';
import { healthPayload } from './health.ts';
import { startIdentity, type RunningIdentity } from './service.ts';
import { VERSION } from './version.ts';

describe('identity service', () => {
  let root: string;
  let running: RunningIdentity | undefined;
  const config = () =>
    readConfig({ LOA_IDENTITY_PORT: '0', LOA_DATA_DIR: 'data', LOA_GRIMOIRES_DIR: 'grimoires', LOA_WORKSPACE_DIR: 'ws' }, root);

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'loa-identity-'));
    mkdirSync(join(root, 'grimoires', 'loa'), { recursive: true });
    writeFileSync(join(root, 'grimoires', 'loa', 'BEAUVOIR.md'), '# Beauvoir\n');
  });
  afterEach(async () => {
    await running?.stop();
    running = undefined;
    rmSync(root, { recursive: true, force: true });
  });

  const health = async () => {
    const response = await fetch(`http://127.0.0.1:${running!.port}/health`);
    expect(response.status).toBe(200);
    return (await response.json()) as ReturnType<typeof healthPayload>;
  };

  it('serves its health with the start count and WAL sequence, counting starts across restarts', async () => {
    running = await startIdentity(config(), () => undefined);
    const first = await health();
    expect(first).toMatchObject({ ok: true, pid: process.pid, starts: 1, walSeq: 2, version: VERSION });
    expect(first.soulHash).toMatch(/^[0-9a-f]{16}$/);
    await running.stop();

    running = await startIdentity(config(), () => undefined);
    const second = await health();
    // The second start appends a start record only: SOUL.md is already current.
    expect(second).toMatchObject({ starts: 2, walSeq: 3, soulHash: first.soulHash });
  });

  it('answers 404 JSON off the health route', async () => {
    running = await startIdentity(config(), () => undefined);
    const response = await fetch(`http://127.0.0.1:${running.port}/nope`);
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ ok: false, error: 'not found' });
  });

  it('releases its port and flushes the log on stop', async () => {
    running = await startIdentity(config(), () => undefined);
    const { port } = running;
    await running.stop();
    running = undefined;
    await expect(fetch(`http://127.0.0.1:${port}/health`)).rejects.toThrow();
    const wal = readFileSync(join(root, 'data', 'identity.wal'), 'utf8');
    expect(wal.trim().split('\n')).toHaveLength(2);
  });

  it('records a start only once serving: a start on a busy port records nothing and frees the data dir', async () => {
    const blocker = createServer();
    await new Promise<void>((resolvePromise) => blocker.listen(0, '127.0.0.1', resolvePromise));
    try {
      const busyPort = (blocker.address() as { port: number }).port;
      const busy = { ...config(), port: busyPort };
      await expect(startIdentity(busy, () => undefined)).rejects.toThrow(`port ${busyPort} on 127.0.0.1 is already in use — stop what holds it, or set LOA_IDENTITY_PORT to a free port`);
      const wal = join(root, 'data', 'identity.wal');
      expect(existsSync(wal) ? readFileSync(wal, 'utf8') : '').toBe('');
      expect(existsSync(join(root, 'data', 'identity.lock'))).toBe(false);
    } finally {
      await new Promise((resolvePromise) => blocker.close(resolvePromise));
    }
    running = await startIdentity(config(), () => undefined);
    expect(await health()).toMatchObject({ starts: 1, walSeq: 2 });
  });

  it('keeps every record after an invalid UTF-8 line and a torn tail (the issue repro: append, start twice)', async () => {
    running = await startIdentity(config(), () => undefined);
    await running.stop();
    appendFileSync(join(root, 'data', 'identity.wal'), Buffer.concat([Buffer.from([0xff, 0xfe, 0x0a]), Buffer.from('{"se')]));
    for (const expected of [{ starts: 2, walSeq: 3 }, { starts: 3, walSeq: 4 }]) {
      running = await startIdentity(config(), () => undefined);
      expect(await health()).toMatchObject(expected);
      await running.stop();
    }
    running = await startIdentity(config(), () => undefined);
    expect(await health()).toMatchObject({ starts: 4, walSeq: 5 });
    const lines = readFileSync(join(root, 'data', 'identity.wal')).toString('latin1').split('\n');
    expect(lines.filter((line) => line.startsWith('{')).map((line) => JSON.parse(line).seq)).toEqual([1, 2, 3, 4, 5]);
  });

  it('answers /health 503 once its data dir was removed under it (dev-clean beside a running dev), not ok over a deleted log', async () => {
    running = await startIdentity(config(), () => undefined);
    expect((await health()).ok).toBe(true);
    rmSync(join(root, 'data'), { recursive: true, force: true });
    const response = await fetch(`http://127.0.0.1:${running.port}/health`);
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({ ok: false, error: expect.stringMatching(/^write-ahead log failed: .*identity\.wal was deleted while identity ran/) });
  });

  it('rejects a port that is not a number, naming the variable', () => {
    for (const port of ['abc', '0x10', '1e3', '-1', '3000.5', '65536']) expect(() => readConfig({ LOA_IDENTITY_PORT: port }, root)).toThrow(/LOA_IDENTITY_PORT/);
  });

  it('reads an empty variable as unset, as ${VAR:-default} does: not port 0 (any port), not the working directory', () => {
    const empty = { LOA_IDENTITY_PORT: '', LOA_DATA_DIR: '', LOA_GRIMOIRES_DIR: ' ', LOA_WORKSPACE_DIR: '', LOA_IDENTITY_HOST: '' };
    expect(readConfig(empty, root)).toEqual({
      port: 3000,
      dataDir: join(root, '.loa/data'),
      grimoiresDir: join(root, 'grimoires'),
      workspaceDir: join(root, '.loa/workspace'),
      host: '127.0.0.1',
    });
    expect(readConfig({ LOA_IDENTITY_PORT: ' 3001 ' }, root).port).toBe(3001);
  });
});
