export interface SmokeExecutorSchema {
  url?: string;
  urls?: string[];
  attempts: number;
  delaySeconds: number;
  timeoutSeconds: number;
  expectStatus: number;
  expectJson?: Record<string, unknown>;
}
