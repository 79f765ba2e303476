import type { HealthCheck } from '../probe/health-probe.ts';
import type { ReloadRule } from '../watch/rules.ts';

export interface DevProcessOption {
  name: string;
  command: string | string[];
  args?: string[];
  cwd?: string;
  env?: Record<string, string>;
  health?: HealthCheck;
  whenMissing?: 'skip' | 'fail';
  startTimeoutMs?: number;
  standby?: boolean;
}

export interface DevExecutorSchema {
  runtime: 'auto' | 'native' | 'docker';
  action: 'up' | 'build' | 'shell' | 'logs' | 'down' | 'clean';
  composeFiles: string[];
  service: string;
  projectName?: string;
  env: Record<string, string>;
  processes: DevProcessOption[];
  rules: ReloadRule[];
  envFile: string;
  dataDir: string;
  force: boolean;
  debounceMs: number;
  burstDebounceMs: number;
  usePolling: boolean;
  pollIntervalMs: number;
  graceMs: number;
  startTimeoutMs: number;
  ignore: string[];
}
