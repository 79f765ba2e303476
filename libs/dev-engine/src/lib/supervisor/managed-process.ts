import { fileURLToPath } from 'node:url';
import { forEachLine, spawnGroupLeader } from '../exec/exec.ts';
import { isPortFree, portOf, probe, type HealthCheck } from '../probe/health-probe.ts';
import { delay, groupAlive, stopGroup, trackGroup, untrackGroup } from './process-group.ts';

export interface ProcessSpec {
  name: string;
  /** Resolved executable. */
  command: string;
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  health?: HealthCheck;
  startTimeoutMs: number;
  /** SIGTERM → SIGKILL escalation. */
  graceMs: number;
  /**
   * Keep a pre-booted Node waiting (standby.mjs) so a restart skips Node's own start-up. Only for
   * `node [--flag=value…] script [args…]` where the script is an ES module.
   */
  standby?: boolean;
}

const STANDBY_SCRIPT = fileURLToPath(new URL('./standby.mjs', import.meta.url));

/** `node [flags] script args` → `node [flags] standby.mjs script args`. */
export function standbyArgs(args: readonly string[]): string[] {
  const scriptIndex = args.findIndex((arg) => !arg.startsWith('-'));
  if (scriptIndex === -1) throw new Error('standby needs a script to run');
  return [...args.slice(0, scriptIndex), STANDBY_SCRIPT, ...args.slice(scriptIndex)];
}

type Child = ReturnType<typeof spawnGroupLeader>;

export type ProcessEvent =
  | { type: 'healthy'; name: string; pid: number; reasons: string[]; ms: number; detail: string }
  | { type: 'failed'; name: string; reasons: string[]; why: string; lastLines: string[]; retryInMs: number }
  | { type: 'crashed'; name: string; why: string; lastLines: string[]; retryInMs: number };

export interface ProcessHooks {
  onLine(name: string, line: string): void;
  onEvent(event: ProcessEvent): void;
}

/** The clock and the retry timer; tests pass their own to check the backoff without waiting for it. */
export interface SupervisorClock {
  now(): number;
  setTimeout(callback: () => void, ms: number): NodeJS.Timeout;
  clearTimeout(timer: NodeJS.Timeout): void;
}

const systemClock: SupervisorClock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (timer) => clearTimeout(timer),
};

interface Generation {
  pid: number;
  exited: boolean;
  exitDescription?: string;
  /** Set once the supervisor itself stops it: its exit is then no crash. */
  stopping: boolean;
  /** Until healthy, exits are reported by the start path, not as crashes. */
  starting: boolean;
  /** When it passed its health check (or started, without one). */
  healthyAt?: number;
  exit: Promise<void>;
  /** Resolves once stdout and stderr are closed: every line the child printed has been seen. */
  drained: Promise<void>;
}

export const RETRY_BASE_MS = 1000;
export const RETRY_MAX_MS = 30_000;
/**
 * A process must stay up this long after becoming healthy before its failure count is forgotten. A
 * crash sooner is one more failure: otherwise a program that dies a second after each start (or has
 * no health check) is restarted every second forever.
 */
export const STABLE_AFTER_MS = 10_000;
const TAIL_LINES = 20;

/** Exponential backoff for a process that keeps failing: 1 s, 2 s, 4 s … capped at 30 s. */
export function retryDelayMs(failures: number): number {
  return Math.min(RETRY_BASE_MS * 2 ** Math.max(0, failures - 1), RETRY_MAX_MS);
}

/**
 * One supervised program. Restarts are serialised and coalesced: requests that arrive before the new
 * child is spawned join the current restart; requests during its start schedule exactly one more.
 */
export class ManagedProcess {
  private current: Generation | undefined;
  private busy: Promise<void> | undefined;
  private collecting: { reasons: Set<string>; since: number } | undefined;
  private queued: { reasons: Set<string>; since: number } | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private failures = 0;
  private closed = false;
  private tail: string[] = [];
  private standby: Child | undefined;
  restarts = 0;

  readonly spec: ProcessSpec;
  private readonly hooks: ProcessHooks;
  private readonly clock: SupervisorClock;

  constructor(spec: ProcessSpec, hooks: ProcessHooks, clock: SupervisorClock = systemClock) {
    this.spec = spec;
    this.hooks = hooks;
    this.clock = clock;
  }

  get pid(): number | undefined {
    return this.current && !this.current.exited ? this.current.pid : undefined;
  }

  /** Asks for a (re)start; `reasons` are the files (or words) that say why. */
  requestRestart(reasons: string[]): void {
    if (this.closed) return;
    this.clearRetry();
    const target = this.collecting ?? (this.busy ? (this.queued ??= { reasons: new Set(), since: Date.now() }) : undefined);
    if (target) {
      for (const reason of reasons) target.reasons.add(reason);
      return;
    }
    this.queued = { reasons: new Set(reasons), since: Date.now() };
    this.busy = this.drain();
  }

  /** Resolves when no restart is running or queued. */
  async settled(): Promise<void> {
    while (this.busy) await this.busy;
  }

  private async drain(): Promise<void> {
    try {
      while (this.queued && !this.closed) {
        // A change that arrived during a failed start supersedes the retry that start scheduled.
        this.clearRetry();
        this.collecting = this.queued;
        this.queued = undefined;
        await this.cycle(this.collecting);
      }
    } finally {
      this.collecting = undefined;
      this.busy = undefined;
    }
  }

  private async cycle(request: { reasons: Set<string>; since: number }): Promise<void> {
    await this.stopCurrent();
    const portProblem = await this.waitForPort();
    if (this.closed) return;
    if (portProblem) return this.fail([...request.reasons], portProblem);
    // From here on the new child reads the files: later changes need one more restart.
    this.collecting = undefined;
    const reasons = [...request.reasons];
    const generation = this.spawn();
    const outcome = await this.waitHealthy(generation);
    if (this.closed) return;
    if (!outcome.healthy) {
      await this.stopCurrent();
      return this.fail(reasons, outcome.detail);
    }
    generation.starting = false;
    // The failure count stays until this generation has run STABLE_AFTER_MS (see noteEnd).
    generation.healthyAt = this.clock.now();
    this.restarts += 1;
    this.hooks.onEvent({ type: 'healthy', name: this.spec.name, pid: generation.pid, reasons, ms: Date.now() - request.since, detail: outcome.detail });
    // Boot the next one only now, so it does not compete for the CPU with the start it would replace.
    this.prepareStandby();
  }

  /** A generation that ran long enough after becoming healthy proves the program works: forget past failures. */
  private noteEnd(generation: Generation): void {
    if (generation.healthyAt !== undefined && this.clock.now() - generation.healthyAt >= STABLE_AFTER_MS) this.failures = 0;
    // Once per generation: a crashed one is stopped again by the next start, which must not count it twice.
    generation.healthyAt = undefined;
  }

  private fail(reasons: string[], why: string): void {
    this.failures += 1;
    const retryInMs = retryDelayMs(this.failures);
    this.hooks.onEvent({ type: 'failed', name: this.spec.name, reasons, why, lastLines: [...this.tail], retryInMs });
    this.scheduleRetry(retryInMs);
  }

  private scheduleRetry(ms: number): void {
    this.clearRetry();
    if (this.closed) return;
    this.retryTimer = this.clock.setTimeout(() => {
      this.retryTimer = undefined;
      this.requestRestart([`retry after ${Math.round(ms / 1000)} s`]);
    }, ms);
  }

  private clearRetry(): void {
    if (this.retryTimer) this.clock.clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }

  /** A pre-booted Node that has loaded nothing yet, or undefined when there is none ready. */
  private takeStandby(): Child | undefined {
    const standby = this.standby;
    this.standby = undefined;
    if (!standby || standby.exitCode !== null || standby.signalCode !== null || !standby.stdin?.writable) return undefined;
    standby.stdin.end('go\n');
    return standby;
  }

  private prepareStandby(): void {
    if (!this.spec.standby || this.closed || this.standby) return;
    const standby = spawnGroupLeader(this.spec.command, standbyArgs(this.spec.args), { cwd: this.spec.cwd, env: this.spec.env, stdin: 'pipe' });
    trackGroup(standby.pid);
    // A standby that cannot be started (EAGAIN, the program gone) is only a missed optimisation: the
    // next restart spawns normally (takeStandby drops an exited one). execa's promise rejects even with
    // reject: false when the spawn fails, so it is caught here, or it would end the engine as a bug.
    standby.on('error', () => undefined);
    standby.stdin?.on('error', () => undefined);
    this.standby = standby;
  }

  private discardStandby(): void {
    const standby = this.standby;
    this.standby = undefined;
    if (standby?.pid && standby.exitCode === null) void stopGroup(standby.pid, this.spec.graceMs);
  }

  private spawn(): Generation {
    this.tail = [];
    const child = this.takeStandby() ?? spawnGroupLeader(this.spec.command, this.spec.args, { cwd: this.spec.cwd, env: this.spec.env });
    trackGroup(child.pid);
    let markExited!: () => void;
    let markDrained!: () => void;
    const generation: Generation = {
      pid: child.pid ?? -1,
      exited: false,
      stopping: false,
      starting: true,
      exit: new Promise<void>((resolve) => (markExited = resolve)),
      drained: new Promise<void>((resolve) => (markDrained = resolve)),
    };
    child.on('close', () => markDrained());
    this.current = generation;
    const onLine = (line: string) => {
      this.tail.push(line);
      if (this.tail.length > TAIL_LINES) this.tail.shift();
      this.hooks.onLine(this.spec.name, line);
    };
    forEachLine(child.stdout, onLine);
    forEachLine(child.stderr, onLine);
    const cannotStart = (error: NodeJS.ErrnoException) => {
      // The code only: execa's message holds the whole command line.
      const hint =
        error.code === 'EACCES'
          ? ` (not executable: chmod +x ${this.spec.command}, or fix the "command" of process "${this.spec.name}")`
          : error.code === 'ERR_INVALID_ARG_VALUE'
            ? ` (an argument or an environment value holds a NUL byte? fix the "args"/"env" of process "${this.spec.name}")`
            : '';
      generation.exitDescription ??= `could not start ${this.spec.command}: ${error.code ?? 'spawn error'}${hint}`;
    };
    // A program that cannot be started: the 'error' event below (EACCES, ENOENT), or only execa's result
    // when the spawn was refused at once (a NUL byte in the environment), with no event at all.
    void child.result.then((result) => {
      if (child.pid !== undefined || !result.code) return;
      cannotStart({ code: result.code } as NodeJS.ErrnoException);
      if (!generation.exited) {
        generation.exited = true;
        markExited();
      }
      markDrained();
    });
    child.on('error', (error: NodeJS.ErrnoException) => {
      cannotStart(error);
      if (!generation.exited) {
        generation.exited = true;
        markExited();
      }
      markDrained();
    });
    // No pid: the program could not be started (EACCES, a NUL byte in an argument); the error event comes
    // on the next tick, after a start without a health check would already count as healthy.
    if (child.pid === undefined) {
      generation.exited = true;
      markExited();
    }
    child.on('exit', (code: number | null, signal: NodeJS.Signals | null) => {
      generation.exited = true;
      generation.exitDescription = signal ? `killed by ${signal}` : `exited with code ${code}`;
      markExited();
      if (!generation.stopping && !generation.starting && !this.closed && this.current === generation) this.onCrash(generation);
    });
    return generation;
  }

  /** The exit is seen before the last lines are read; wait for them (bounded: a grandchild may hold the pipe). */
  private lastWords(generation: Generation): Promise<void> {
    return Promise.race([generation.drained, delay(250)]);
  }

  private onCrash(generation: Generation): void {
    // The leader is gone; take down anything it left in its group before the port is needed again.
    void Promise.all([stopGroup(generation.pid, this.spec.graceMs), this.lastWords(generation)]).finally(() => {
      if (this.closed || this.current !== generation) return;
      this.noteEnd(generation);
      this.failures += 1;
      const retryInMs = retryDelayMs(this.failures);
      this.hooks.onEvent({ type: 'crashed', name: this.spec.name, why: generation.exitDescription ?? 'exited', lastLines: [...this.tail], retryInMs });
      this.scheduleRetry(retryInMs);
    });
  }

  private async waitHealthy(generation: Generation): Promise<{ healthy: boolean; detail: string }> {
    const deadline = Date.now() + this.spec.startTimeoutMs;
    let wait = 5;
    while (!this.closed) {
      if (generation.exited) {
        await this.lastWords(generation);
        return { healthy: false, detail: `${generation.exitDescription ?? 'exited'} before it was healthy` };
      }
      if (!this.spec.health) return { healthy: true, detail: 'started (no health check)' };
      const result = await probe(this.spec.health, 1000);
      if (result.healthy && !generation.exited) return result;
      if (Date.now() >= deadline) return { healthy: false, detail: `not healthy within ${this.spec.startTimeoutMs / 1000} s (last: ${result.detail})` };
      await delay(wait);
      wait = Math.min(wait * 1.5, 100);
    }
    return { healthy: false, detail: 'stopped' };
  }

  private async waitForPort(): Promise<string | undefined> {
    const port = portOf(this.spec.health);
    if (!port) return undefined;
    const deadline = Date.now() + this.spec.graceMs + 2000;
    while (!this.closed) {
      if (await isPortFree(port.host, port.port)) return undefined;
      if (Date.now() >= deadline) return `port ${port.port} on ${port.host} is still in use by another process — stop it (lsof -i :${port.port}) or change the port`;
      await delay(10);
    }
    return undefined;
  }

  private async stopCurrent(): Promise<void> {
    const generation = this.current;
    if (!generation) return;
    generation.stopping = true;
    this.noteEnd(generation);
    if (!generation.exited || groupAlive(generation.pid)) await stopGroup(generation.pid, this.spec.graceMs, generation.exit);
    else untrackGroup(generation.pid);
    // Let the last lines of the old child drain before the new one prints.
    await Promise.race([generation.exit, delay(200)]);
  }

  /**
   * For a fatal error in the engine: stops the current group and the standby at once, without waiting
   * for a restart in progress to finish (it may be what failed). Once closed, no new child is spawned.
   */
  async abort(): Promise<void> {
    this.closed = true;
    this.clearRetry();
    const standby = this.standby;
    this.standby = undefined;
    const generation = this.current;
    if (generation) generation.stopping = true;
    await Promise.all([
      standby?.pid ? stopGroup(standby.pid, this.spec.graceMs) : undefined,
      generation ? stopGroup(generation.pid, this.spec.graceMs, generation.exit) : undefined,
    ]);
  }

  /** Stops the process group for good: no retries, no restarts. */
  async close(): Promise<void> {
    this.closed = true;
    this.clearRetry();
    this.discardStandby();
    await this.settled();
    await this.stopCurrent();
  }
}
