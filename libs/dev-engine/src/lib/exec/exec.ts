import { execa, type ResultPromise } from 'execa';
import { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';

/** The one place the plugin starts programs: argument arrays only, never a shell string. */

export interface RunOptions {
  cwd: string;
  env?: NodeJS.ProcessEnv;
  /** Called for every line of stdout and stderr. */
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
  /** Kill the program (SIGTERM) after this long; the result then says timedOut. */
  timeoutMs?: number;
}

export interface RunResult {
  exitCode: number;
  /** stdout, kept (trimmed) for programs whose answer is their output. */
  stdout: string;
  /** Set when the program could not be started at all (ENOENT, EACCES). */
  spawnError?: string;
  timedOut?: boolean;
}

export function forEachLine(stream: Readable | null | undefined, onLine: (line: string) => void): void {
  if (!stream) return;
  createInterface({ input: stream, crlfDelay: Infinity }).on('line', onLine);
}

/** `command: CODE` when execa's result says the program could not be started at all (ENOENT, EACCES), else undefined. */
export function spawnFailure(command: string, result: { exitCode?: number; code?: string }): string | undefined {
  return typeof result.exitCode !== 'number' && result.code ? `${command}: ${result.code}` : undefined;
}

function startStreaming(command: string, args: readonly string[], options: RunOptions) {
  return execa(command, [...args], {
    cwd: options.cwd,
    env: options.env,
    extendEnv: options.env === undefined,
    reject: false,
    buffer: false,
    stdin: 'ignore',
    timeout: options.timeoutMs,
  });
}

/** Runs a program to completion, streaming its lines; resolves with its exit code, never rejects. */
export async function runCommand(command: string, args: readonly string[], options: RunOptions): Promise<RunResult> {
  let child: ReturnType<typeof startStreaming>;
  try {
    child = startStreaming(command, args, options);
  } catch (error) {
    // Refused before spawning (a NUL byte in an argument): a program that could not be started.
    return { exitCode: 127, stdout: '', spawnError: `${command}: ${(error as NodeJS.ErrnoException).code ?? 'ERR_INVALID_ARG_VALUE'}` };
  }
  const stdout: string[] = [];
  forEachLine(child.stdout, (line) => {
    stdout.push(line);
    options.onLine?.(line, 'stdout');
  });
  forEachLine(child.stderr, (line) => options.onLine?.(line, 'stderr'));
  const result = await child;
  const failure = result as typeof result & { code?: string; timedOut?: boolean };
  const text = stdout.join('\n').trim();
  if (failure.timedOut) return { exitCode: 124, stdout: text, timedOut: true };
  const spawnError = spawnFailure(command, failure);
  if (spawnError) return { exitCode: 127, stdout: text, spawnError };
  return { exitCode: result.exitCode ?? 1, stdout: text };
}

/** Runs a program on this terminal (a shell into a container): its stdio is ours. */
export async function runInteractive(command: string, args: readonly string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): Promise<number> {
  const result = await execa(command, [...args], { cwd: options.cwd, env: options.env, stdio: 'inherit', reject: false });
  return result.exitCode ?? 1;
}

/** How a group leader ended: its exit code or signal, or (code) why it could not be started at all. */
export interface LeaderResult {
  exitCode?: number;
  signal?: string;
  code?: string;
}

/**
 * A started program as the supervisor needs it: Node's ChildProcess (its events, stdin, exitCode; execa 10
 * hands it out as `nodeChildProcess`, its escape hatch for `.on()`), plus execa's result, which never rejects.
 */
export type GroupLeader = ChildProcess & { result: Promise<LeaderResult> };

/** Starts a long-running program as the leader of its own process group, so its whole tree can be stopped. */
export function spawnGroupLeader(
  command: string,
  args: readonly string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; stdin?: 'ignore' | 'pipe' },
): GroupLeader {
  let subprocess: ResultPromise;
  try {
    subprocess = execa(command, [...args], {
      cwd: options.cwd,
      env: options.env,
      extendEnv: false,
      detached: true,
      cleanup: false,
      reject: false,
      buffer: false,
      stdin: options.stdin ?? 'ignore',
    });
  } catch (error) {
    // execa refuses some calls before spawning (a NUL byte in an argument): the same shape as a spawn
    // that failed, an 'error' event on a process that never had a pid.
    return notStarted((error as NodeJS.ErrnoException).code ?? 'ERR_INVALID_ARG_VALUE');
  }
  const leader = subprocess.nodeChildProcess as GroupLeader;
  leader.result = subprocess.then(
    (result) => ({ exitCode: result.exitCode, signal: result.signal, code: (result as { code?: string }).code }),
    (error: NodeJS.ErrnoException) => ({ code: error.code ?? 'ERR_INVALID_ARG_VALUE' }),
  );
  return leader;
}

function notStarted(code: string): GroupLeader {
  const leader = new ChildProcess() as GroupLeader;
  leader.result = Promise.resolve({ code });
  process.nextTick(() => {
    leader.emit('error', Object.assign(new Error(`spawn refused: ${code}`), { code }));
    leader.emit('close', null, null);
  });
  return leader;
}
