import { spawnSync } from 'node:child_process';
import { symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir, writeFile } from '../../testing/fixtures.ts';
import { EnvFileError, nxEnvFiles, readEnvFile, readEnvFiles, taskScope } from './env-file.ts';

describe('readEnvFile', () => {
  let dir: ReturnType<typeof tempDir>;
  beforeEach(() => (dir = tempDir('loa-envfile-')));
  afterEach(() => dir.remove());

  it('reads quoted multi-line values (a PEM key) as one value', () => {
    writeFile(dir.path, '.env.local', 'A=plain\nPEM="-----BEGIN KEY-----\nMIIEvQIBADANBg\n-----END KEY-----"\nB=after\n');
    expect(readEnvFile(join(dir.path, '.env.local'))).toEqual({ A: 'plain', PEM: '-----BEGIN KEY-----\nMIIEvQIBADANBg\n-----END KEY-----', B: 'after' });
  });

  it('is undefined when the file does not exist', () => {
    expect(readEnvFile(join(dir.path, 'missing'))).toBeUndefined();
  });

  it('names a file it cannot read (a folder here) in one line', () => {
    writeFile(dir.path, '.env.local/inside', '');
    expect(() => readEnvFile(join(dir.path, '.env.local'), '.env.local')).toThrow(
      new EnvFileError('.env.local cannot be read (EISDIR) — make it a readable file or remove it'),
    );
  });

  it('refuses a FIFO or a device (the read would block or never end, and Ctrl+C could not stop it)', () => {
    expect(spawnSync('mkfifo', [join(dir.path, '.env.local')]).status).toBe(0);
    symlinkSync('/dev/zero', join(dir.path, '.env.zero'));
    // In a child process: without the check the read blocks for good, and no test timeout can end it.
    const script = `import { readEnvFile } from ${JSON.stringify(join(import.meta.dirname, 'env-file.ts'))};\n` + "for (const name of ['.env.local', '.env.zero']) { try { readEnvFile(name, name); } catch (error) { console.log(error.message); } }";
    const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: dir.path, encoding: 'utf8', timeout: 10_000 });
    expect(result.stdout.trim().split('\n')).toEqual(
      ['.env.local', '.env.zero'].map((name) => `${name} is not a regular file (a FIFO or a device) — make it a readable file or remove it`),
    );
  });

  it('refuses a NUL byte, naming the file, the line and the variable but never the value', () => {
    writeFile(dir.path, '.env.local', 'GOOD=fine\n# comment\nAPI_TOKEN=abc\0def-hidden-part\nLATER=x\n');
    const read = () => readEnvFile(join(dir.path, '.env.local'), '.env.local');
    expect(read).toThrow(EnvFileError);
    expect(read).toThrow(
      '.env.local line 3 (API_TOKEN) contains a NUL byte, which no process environment can hold — remove it from the file (retype the value of API_TOKEN)',
    );
    let message = '';
    try {
      read();
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).not.toMatch(/abc|hidden/);
  });

  it.each([
    ['with a byte-order mark (FF FE, what Notepad and PowerShell write)', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('API_TOKEN=secret\r\nB=2\r\n', 'utf16le')]), 'little-endian'],
    ['with a big-endian byte-order mark (FE FF)', Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from('API_TOKEN=secret\nB=2\n', 'utf16le').swap16()]), 'big-endian'],
    ['without a mark (a NUL after each letter)', Buffer.from('API_TOKEN=secret\nB=2\n', 'utf16le'), 'little-endian'],
    ['without a mark, big-endian (a NUL before each letter)', Buffer.from('API_TOKEN=secret\nB=2\n', 'utf16le').swap16(), 'big-endian'],
  ])('refuses a UTF-16 file %s in one line: save it as UTF-8', (_, bytes, order) => {
    writeFileSync(join(dir.path, '.env.local'), bytes);
    expect(() => readEnvFile(join(dir.path, '.env.local'), '.env.local')).toThrow(
      new EnvFileError(`.env.local is UTF-16 (${order}), which a dotenv file cannot be — save it as UTF-8`),
    );
  });

  it('drops a UTF-8 byte-order mark instead of making it part of the first name', () => {
    writeFileSync(join(dir.path, '.env.local'), Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('API_TOKEN=sécret\nB=2\n')]));
    expect(readEnvFile(join(dir.path, '.env.local'))).toEqual({ API_TOKEN: 'sécret', B: '2' });
  });

  it('still reads a short file, and one whose first value holds non-ASCII text', () => {
    writeFile(dir.path, '.env', 'A=1');
    writeFile(dir.path, '.env.local', 'N=ünïcødé ✓\n');
    expect([readEnvFile(join(dir.path, '.env')), readEnvFile(join(dir.path, '.env.local'))]).toEqual([{ A: '1' }, { N: 'ünïcødé ✓' }]);
  });

  it('names the variable of a multi-line value whose later line holds the NUL', () => {
    writeFile(dir.path, '.env', 'A=1\nKEY="line one\nline\0two"\n');
    expect(() => readEnvFile(join(dir.path, '.env'), '.env')).toThrow('.env line 3 (KEY) contains a NUL byte');
  });
});

describe('nxEnvFiles', () => {
  it('lists the files Nx loads at start-up when there is no task', () => {
    expect(nxEnvFiles()).toEqual(['.env.local', '.local.env', '.env']);
  });

  it("lists a task's files in Nx's order: the project's folder, then the workspace root", () => {
    expect(nxEnvFiles({ projectRoot: 'apps/loa', target: 'deploy', configuration: 'production' })).toEqual([
      'apps/loa/.env.deploy.production.local', 'apps/loa/.env.deploy.production', 'apps/loa/.deploy.production.local.env', 'apps/loa/.deploy.production.env',
      'apps/loa/.env.production.local', 'apps/loa/.env.production', 'apps/loa/.production.local.env', 'apps/loa/.production.env',
      'apps/loa/.env.deploy.local', 'apps/loa/.env.deploy', 'apps/loa/.deploy.local.env', 'apps/loa/.deploy.env',
      'apps/loa/.env.local', 'apps/loa/.local.env', 'apps/loa/.env',
      '.env.deploy.production.local', '.env.deploy.production', '.deploy.production.local.env', '.deploy.production.env',
      '.env.production.local', '.env.production', '.production.local.env', '.production.env',
      '.env.deploy.local', '.env.deploy', '.deploy.local.env', '.deploy.env',
      '.env.local', '.local.env', '.env',
    ]);
  });

  it('takes the task from an executor context', () => {
    const scope = taskScope({ projectName: 'loa', targetName: 'dev', configurationName: 'ci', projectsConfigurations: { projects: { loa: { root: 'apps/loa' } } } });
    expect(scope).toEqual({ projectRoot: 'apps/loa', target: 'dev', configuration: 'ci' });
    expect(nxEnvFiles(scope)).toContain('apps/loa/.env.dev.ci');
    expect(taskScope({})).toBeUndefined();
  });

  it('reads every existing file of the list, keeping shadowed values', () => {
    const dir = tempDir('loa-envfiles-');
    try {
      writeFile(dir.path, '.env.local', 'T=local-value\n');
      writeFile(dir.path, '.env', 'T=base-value\nU=only-in-env\n');
      expect(readEnvFiles(dir.path, nxEnvFiles())).toEqual([
        ['T', 'local-value'],
        ['T', 'base-value'],
        ['U', 'only-in-env'],
      ]);
    } finally {
      dir.remove();
    }
  });
});
