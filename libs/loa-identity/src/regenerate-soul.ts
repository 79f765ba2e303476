// Run by the dev loop when grimoires/loa/BEAUVOIR.md changes, before the gateway restarts.
import { readConfig } from './config.ts';
import { regenerateSoul } from './soul.ts';
import { WriteAheadLog } from './wal.ts';

const config = readConfig();
const soul = regenerateSoul(config.grimoiresDir, config.workspaceDir);
if (soul.changed) {
  const wal = new WriteAheadLog(config.dataDir);
  wal.replay();
  wal.append('soul', { hash: soul.hash });
  wal.close();
}
console.log(`[identity] SOUL.md ${soul.changed ? 'regenerated' : 'already current'} (${soul.hash})`);
