import { readConfig } from './config.ts';
import { startIdentity, type RunningIdentity } from './service.ts';

let identity: RunningIdentity;
try {
  identity = await startIdentity(readConfig());
} catch (error) {
  // One line that names the problem and the fix (a held data dir, a busy port, a missing BEAUVOIR.md).
  console.error(`[identity] ERROR: ${(error as Error).message}`);
  process.exit(1);
}

const shutdown = (signal: NodeJS.Signals) => {
  // Must finish well inside the supervisor's grace period (1 s).
  const watchdog = setTimeout(() => process.exit(1), 900);
  watchdog.unref();
  identity.stop().then(
    () => process.exit(signal === 'SIGTERM' ? 0 : 128 + (signal === 'SIGINT' ? 2 : 1)),
    () => process.exit(1),
  );
};
process.once('SIGTERM', shutdown);
process.once('SIGINT', shutdown);
process.once('SIGHUP', shutdown);
