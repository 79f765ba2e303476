export interface DeployCfExecutorSchema {
  cwd: string;
  wrangler?: string;
  url?: string;
  dryRun: boolean;
  outDir: string;
  rollback: boolean;
  base?: string;
  head?: string;
  workerFiles: string[];
  imageInputs: string[];
  smokeAttempts: number;
  smokeDelaySeconds: number;
  smokeTimeoutSeconds: number;
}
