import { killTrackedGroupsNow } from '../supervisor/process-group.ts';

/**
 * What a fatal error must do before the process ends: stop what it started (bounded), and hide secrets
 * from the one line it prints.
 */
export interface FatalCleanup {
  stop(): Promise<void>;
  redact?(text: string): string;
}

const cleanups = new Set<FatalCleanup>();
let installed = false;
let dying = false;
/** Bound on the cleanups: a stop that hangs must not keep a broken engine alive. */
export const FATAL_STOP_TIMEOUT_MS = 10_000;

/** Registers a cleanup for fatal errors (and installs the handlers once); returns the unregister function. */
export function onFatal(cleanup: FatalCleanup): () => void {
  installFatalHandlers();
  cleanups.add(cleanup);
  return () => cleanups.delete(cleanup);
}

/** One line: what went wrong, that everything was stopped, and the fix where one is known; never a stack trace. */
export function describeFatal(error: unknown, origin: string): string {
  const err = error as NodeJS.ErrnoException | undefined;
  const code = err?.code;
  // EPIPE: a pipe's reader quit; EIO: the terminal went away; either way nothing can be printed any more.
  if (origin === 'stdout' || origin === 'stderr' || code === 'EPIPE' || code === 'ERR_STREAM_DESTROYED') {
    const stream = origin === 'stderr' ? 'stderr' : 'stdout';
    // Redirected into a file that cannot grow: the reader did not quit, the file is full.
    if (code === 'EFBIG' || code === 'ENOSPC' || code === 'EDQUOT') {
      const why = code === 'EFBIG' ? 'the file size limit, ulimit -f' : code === 'ENOSPC' ? 'the disk is full' : 'the disk quota is used up';
      return (
        `the engine's ${stream} cannot be written (${code}: ${why}); every process it started was stopped — ` +
        'free space or raise the limit, or send the output elsewhere'
      );
    }
    return (
      `the engine's ${stream} was closed (${code ?? 'closed'}: the program reading it exited, for example \`| head\`); every process it started was stopped — ` +
      'run it without that pipe, or into a reader that stays (| tee file)'
    );
  }
  const message = err instanceof Error ? `${err.name}: ${err.message}` : String(error);
  const firstLine = message.split('\n')[0].slice(0, 400);
  return `the dev engine failed (${origin}: ${firstLine}); every process it started was stopped — this is a bug in the engine, please report it with this line`;
}

/**
 * Every way Node ends a process on an error — an uncaught exception, an unhandled rejection, a write
 * to a closed stdout or stderr (EPIPE, which Node raises as an uncaught 'error' event) — goes through
 * one path: stop every process group first, then one line on stderr, then exit 1. Without it the
 * children, which run in their own process groups, outlive the engine and keep their ports.
 * Idempotent; the engine (when it owns the process) and the standalone CLI both call it.
 */
export function installFatalHandlers(): void {
  if (installed) return;
  installed = true;
  process.on('uncaughtException', (error) => void die(error, 'uncaught exception'));
  process.on('unhandledRejection', (reason) => void die(reason, 'unhandled rejection'));
  // With a listener, a closed pipe is an 'error' event here instead of an uncaught exception elsewhere.
  process.stdout.on('error', (error) => void die(error, 'stdout'));
  process.stderr.on('error', (error) => void die(error, 'stderr'));
  // Whatever else ends the process (process.exit anywhere), leave no group behind.
  process.on('exit', () => killTrackedGroupsNow());
}

async function die(error: unknown, origin: string): Promise<void> {
  // A second fault while stopping (the broken stdout is written to again) changes nothing.
  if (dying) return;
  dying = true;
  const pending = [...cleanups].map((cleanup) => cleanup.stop().catch(() => undefined));
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([Promise.all(pending), new Promise<void>((resolve) => (timer = setTimeout(resolve, FATAL_STOP_TIMEOUT_MS)))]);
  clearTimeout(timer);
  killTrackedGroupsNow();
  let line = describeFatal(error, origin);
  for (const cleanup of cleanups) if (cleanup.redact) line = cleanup.redact(line);
  try {
    // Pipes and files are written synchronously on Linux and macOS, so the line is out before exit.
    if (!process.stderr.destroyed) process.stderr.write(`[loa] ERROR: ${line}\n`);
  } catch {
    /* stderr is gone too: the exit code is all that is left */
  }
  process.exit(1);
}
