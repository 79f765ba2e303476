const SIGNAL_NUMBERS = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 } as const;
export type StopSignal = keyof typeof SIGNAL_NUMBERS;

/** How often the parent is checked: one killed outright (SIGKILL) sends no signal, it only re-parents us. */
export const PARENT_CHECK_MS = 1000;

/**
 * Calls `stop` with the exit code a shell would report (128 + the signal's number) on Ctrl+C,
 * SIGTERM or SIGHUP, and as for SIGHUP (a hang-up) when the parent process is gone: `nx` killed with
 * SIGKILL leaves its task's process running, and with it every process the engine supervises, holding
 * their ports. Returns the function that removes the handlers.
 */
export function onStopSignals(stop: (signal: StopSignal, exitCode: number) => void): () => void {
  const handlers = (Object.keys(SIGNAL_NUMBERS) as StopSignal[]).map((signal) => {
    const handler = () => stop(signal, 128 + SIGNAL_NUMBERS[signal]);
    process.on(signal, handler);
    return [signal, handler] as const;
  });
  // A process started by init (ppid 1) has no parent to lose.
  const parent = process.ppid;
  const parentWatch =
    parent > 1
      ? setInterval(() => {
          if (process.ppid === parent) return;
          clearInterval(parentWatch);
          stop('SIGHUP', 128 + SIGNAL_NUMBERS.SIGHUP);
        }, PARENT_CHECK_MS)
      : undefined;
  parentWatch?.unref();
  return () => {
    for (const [signal, handler] of handlers) process.off(signal, handler);
    if (parentWatch) clearInterval(parentWatch);
  };
}
