import { readConfig } from './config.ts';
import { startIdentity } from './service.ts';

const identity = await startIdentity(readConfig());

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
