import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SOUL_HEADER, regenerateSoul } from './soul.ts';

describe('regenerateSoul', () => {
  let root: string;
  const grimoires = () => join(root, 'grimoires');
  const workspace = () => join(root, 'workspace');
  const writeBeauvoir = (text: string) => writeFileSync(join(grimoires(), 'loa', 'BEAUVOIR.md'), text);

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'loa-soul-'));
    mkdirSync(join(grimoires(), 'loa'), { recursive: true });
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('writes SOUL.md when it is missing', () => {
    writeBeauvoir('# Beauvoir v1\n');
    const result = regenerateSoul(grimoires(), workspace());
    expect(result.changed).toBe(true);
    expect(readFileSync(join(workspace(), 'SOUL.md'), 'utf8')).toBe(`${SOUL_HEADER}# Beauvoir v1\n`);
  });

  it('rewrites SOUL.md when BEAUVOIR.md changed, and leaves it alone when not', () => {
    writeBeauvoir('# v1\n');
    const first = regenerateSoul(grimoires(), workspace());
    expect(regenerateSoul(grimoires(), workspace())).toEqual({ ...first, changed: false });

    writeBeauvoir('# v2\n');
    const second = regenerateSoul(grimoires(), workspace());
    expect(second.changed).toBe(true);
    expect(second.hash).not.toBe(first.hash);
    expect(readFileSync(join(workspace(), 'SOUL.md'), 'utf8')).toContain('# v2');
  });

  it('repairs a SOUL.md that was edited by hand', () => {
    writeBeauvoir('# v1\n');
    regenerateSoul(grimoires(), workspace());
    writeFileSync(join(workspace(), 'SOUL.md'), 'hand edit');
    expect(regenerateSoul(grimoires(), workspace()).changed).toBe(true);
  });
});
