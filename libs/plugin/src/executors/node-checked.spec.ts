import { jest } from '@jest/globals';
import type { ExecutorContext } from '@nx/devkit';
import { CONTINUOUS_FAILURE_EXIT, nodeChecked } from './node-checked.ts';

/** What executors.json loads: the version check, then the executor, and a clear refusal when either fails. */
describe('nodeChecked (every executor entry)', () => {
  const context = (continuous: boolean) => ({ root: '/w', cwd: '/w', isVerbose: false, target: { continuous } }) as unknown as ExecutorContext;
  let printed: string[];
  let write: ReturnType<typeof jest.spyOn>;
  beforeEach(() => {
    printed = [];
    write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: unknown) => (printed.push(String(chunk)), true));
  });
  afterEach(() => write.mockRestore());

  const missing = () => Promise.reject(new Error("Cannot find module '/w/node_modules/@loa/plugin/plugin/src/executors/dev/dev.ts'\nRequire stack: …"));

  it('runs the executor it loads', async () => {
    const run = nodeChecked('dev', async () => ({ default: async () => ({ success: true }) }));
    expect(await run({}, context(false))).toEqual({ success: true });
    expect(printed).toEqual([]);
  });

  it('an executor that cannot be loaded (a broken package): one line, and failure, not an exception', async () => {
    expect(await nodeChecked('deploy-cf', missing)({}, context(false))).toEqual({ success: false });
    expect(printed).toEqual([
      "[loa] ERROR: @loa/plugin:deploy-cf could not be loaded (Cannot find module '/w/node_modules/@loa/plugin/plugin/src/executors/dev/dev.ts') — reinstall @loa/plugin\n",
    ]);
  });

  it('in a continuous target it leaves with the exit code Nx counts as stopped, not success', async () => {
    const exit = jest.spyOn(process, 'exit').mockImplementation(((code: number) => {
      throw new Error(`exit ${code}`);
    }) as never);
    try {
      await expect(nodeChecked('dev', missing)({}, context(true))).rejects.toThrow(`exit ${CONTINUOUS_FAILURE_EXIT}`);
    } finally {
      exit.mockRestore();
    }
  });
});
