export interface ImageExecutorSchema {
  dockerfile: string;
  productionDockerfile: string;
  context: string;
  tag: string;
  baseImage: string;
  productionBaseImage: string;
  fallbackTag: string;
  productionBuildArgs: Record<string, string>;
  network?: string;
  pullTimeoutSeconds: number;
  maxOverheadMb: number;
  failOverBudget: boolean;
  progress: 'auto' | 'plain' | 'tty';
}
