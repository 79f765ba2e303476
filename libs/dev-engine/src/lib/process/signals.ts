const SIGNAL_NUMBERS = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 } as const;
export type StopSignal = keyof typeof SIGNAL_NUMBERS;

/**
 * Calls `stop` with the exit code a shell would report (128 + the signal's number) on Ctrl+C,
 * SIGTERM or SIGHUP. Returns the function that removes the handlers.
 */
export function onStopSignals(stop: (signal: StopSignal, exitCode: number) => void): () => void {
  const handlers = (Object.keys(SIGNAL_NUMBERS) as StopSignal[]).map((signal) => {
    const handler = () => stop(signal, 128 + SIGNAL_NUMBERS[signal]);
    process.on(signal, handler);
    return [signal, handler] as const;
  });
  return () => {
    for (const [signal, handler] of handlers) process.off(signal, handler);
  };
}
