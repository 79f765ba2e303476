// Shared by the engine's and the plugin's secret-leak tests: values that must never appear in output.
import { expect } from '@jest/globals';

/** A multi-line secret (a private key in .env.local): hidden whole and line by line. */
export const PEM_LINES = [
  '-----BEGIN PRIVATE KEY-----',
  'MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj',
  'MzEfYyjiWA4R4/M2bS1GB4t7NXp98C3SC6dVMvDuictGeurT8jNbvJZHtCSuYEvu',
  '-----END PRIVATE KEY-----',
];
export const PEM = PEM_LINES.join('\n');
/** A CF_ variable's value: hidden whatever its name says. */
export const CF_VALUE = 'cf-zone-SECRET-33';

/** Every secret and every line of the multi-line one: none of them may appear in `output`. */
export function expectNoSecret(output: string, secrets: readonly string[]): void {
  for (const secret of secrets) expect(output).not.toContain(secret);
}
