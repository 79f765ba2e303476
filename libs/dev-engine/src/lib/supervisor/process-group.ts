import { readdirSync, readFileSync } from 'node:fs';

/** Signals a whole process group; the group id is the leader's pid (it was spawned detached). */
export function signalGroup(pid: number, signal: NodeJS.Signals): boolean {
  // A child that never started has no pid (-1 or 0 here): -(-1) would be PID 1, 0 our own group.
  if (!(pid > 0)) return false;
  try {
    process.kill(-pid, signal);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
}

/**
 * Live (non-zombie) members of a process group, read from /proc; undefined where there is no /proc.
 * Zombies matter: a grandchild reparented to an init that reaps slowly stays a zombie for seconds,
 * holding no port and running nothing, yet kill(-pgid, 0) still counts it.
 */
export function liveGroupMembers(pgid: number): number[] | undefined {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return undefined;
  }
  const members: number[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // exited while we looked
    }
    const fields = statFields(stat);
    if (Number(fields[2]) === pgid && fields[0] !== 'Z') members.push(Number(entry));
  }
  return members;
}

/**
 * The fields of a /proc/<pid>/stat line after "pid (comm) ": [0] state, [2] process group, [19] start
 * time. comm may hold spaces and parentheses, so the line is split after the last ')'.
 */
function statFields(stat: string): string[] {
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** When the process started (clock ticks since boot), to tell a reused pid from the one recorded; undefined without /proc. */
export function processStartTime(pid: number): string | undefined {
  try {
    return statFields(readFileSync(`/proc/${pid}/stat`, 'utf8'))[19];
  } catch {
    return undefined;
  }
}

/** True while the process runs (a zombie does not count); false once it has exited. */
export function processAlive(pid: number): boolean {
  try {
    return statFields(readFileSync(`/proc/${pid}/stat`, 'utf8'))[0] !== 'Z';
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** True while any process of the group is alive (the leader may be gone while a grandchild lives on). */
export function groupAlive(pgid: number): boolean {
  if (!(pgid > 0)) return false;
  const members = liveGroupMembers(pgid);
  if (members) return members.length > 0;
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Every process group this engine started and has not yet seen gone. A fatal error in the engine must
 * still stop them: they are detached (their own groups), so nothing else would, and they would live on
 * with parent PID 1, holding their ports.
 */
const startedGroups = new Set<number>();
/** Told the groups after every change (the engine's ledger on disk, for a next engine after a SIGKILL). */
let onGroupsChanged: ((groups: ReadonlySet<number>) => void) | undefined;

export function watchTrackedGroups(listener: ((groups: ReadonlySet<number>) => void) | undefined): void {
  onGroupsChanged = listener;
}

export function trackGroup(pid: number | undefined): void {
  if (!pid || pid <= 0 || startedGroups.has(pid)) return;
  startedGroups.add(pid);
  onGroupsChanged?.(startedGroups);
}

export function untrackGroup(pid: number): void {
  if (startedGroups.delete(pid)) onGroupsChanged?.(startedGroups);
}

/** Last resort, synchronous (usable in an 'exit' handler): SIGKILL every tracked group that is still alive. */
export function killTrackedGroupsNow(): void {
  for (const pid of startedGroups) {
    if (groupAlive(pid)) signalGroup(pid, 'SIGKILL');
    startedGroups.delete(pid);
  }
}

export const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * SIGTERM to the group, then SIGKILL once the grace period is over; resolves when no process of the
 * group is left, so the next start cannot hit "address already in use".
 */
export async function stopGroup(pid: number, graceMs: number, leaderExit?: Promise<void>): Promise<'exited' | 'killed' | 'gone'> {
  const outcome = await stopGroupMembers(pid, graceMs, leaderExit);
  untrackGroup(pid);
  return outcome;
}

async function stopGroupMembers(pid: number, graceMs: number, leaderExit?: Promise<void>): Promise<'exited' | 'killed' | 'gone'> {
  if (!groupAlive(pid) || !signalGroup(pid, 'SIGTERM')) return 'gone';
  const deadline = Date.now() + graceMs;
  // The leader's exit event usually comes first; the group is then checked at once, not at the next poll.
  let leaderGone = false;
  void leaderExit?.then(() => (leaderGone = true));
  let wait = 2;
  while (Date.now() < deadline) {
    if (!groupAlive(pid)) return 'exited';
    await (leaderGone || !leaderExit ? delay(wait) : Promise.race([delay(wait), leaderExit]));
    wait = Math.min(wait * 2, 25);
  }
  signalGroup(pid, 'SIGKILL');
  for (let i = 0; i < 200 && groupAlive(pid); i += 1) await delay(5);
  return 'killed';
}
