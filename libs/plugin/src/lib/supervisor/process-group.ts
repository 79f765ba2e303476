/** Signals a whole process group; the group id is the leader's pid (it was spawned detached). */
export function signalGroup(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
}

/** True while any process of the group is alive (the leader may be gone while a grandchild lives on). */
export function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * SIGTERM to the group, then SIGKILL once the grace period is over; resolves when no process of the
 * group is left, so the next start cannot hit "address already in use".
 */
export async function stopGroup(pid: number, graceMs: number): Promise<'exited' | 'killed' | 'gone'> {
  if (!signalGroup(pid, 'SIGTERM')) return 'gone';
  const deadline = Date.now() + graceMs;
  let wait = 2;
  while (Date.now() < deadline) {
    if (!groupAlive(pid)) return 'exited';
    await delay(wait);
    wait = Math.min(wait * 2, 25);
  }
  signalGroup(pid, 'SIGKILL');
  for (let i = 0; i < 200 && groupAlive(pid); i += 1) await delay(5);
  return 'killed';
}
