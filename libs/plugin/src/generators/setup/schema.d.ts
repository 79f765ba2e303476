export interface SetupGeneratorSchema {
  project?: string;
  preset?: 'apps' | 'deploy';
  identityRoot?: string;
  grimoiresRoot?: string;
  claudeRoot?: string;
  dockerDir?: string;
  cloudflareDir?: string;
  baseImage?: string;
  workerName?: string;
  gatewayPort?: number;
  healthPort?: number;
  memoryLimit?: string;
  ci?: 'github' | 'none';
  skipFormat?: boolean;
  skipPackageJson?: boolean;
  force?: boolean;
}
