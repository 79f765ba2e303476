/** Names whose values are secrets even when they come from the environment rather than .env.local. */
const SECRET_NAME = /(TOKEN|SECRET|PASSWORD|PASSWD|API_KEY|ACCESS_KEY|PRIVATE_KEY|CREDENTIAL)/i;
const MIN_SECRET_LENGTH = 4;
export const REDACTED = '***';

export type Redactor = (text: string) => string;

/**
 * Every value from the env file is treated as secret (it holds API keys and tokens); from the process
 * environment only values whose names say so. Longer values are replaced first so a secret that
 * contains another is not half-revealed.
 */
export function createRedactor(envFileValues: Record<string, string> = {}, environment: NodeJS.ProcessEnv = {}): Redactor {
  const secrets = new Set<string>();
  for (const value of Object.values(envFileValues)) if (value && value.length >= MIN_SECRET_LENGTH) secrets.add(value);
  for (const [name, value] of Object.entries(environment)) {
    if (value && value.length >= MIN_SECRET_LENGTH && SECRET_NAME.test(name)) secrets.add(value);
  }
  const ordered = [...secrets].sort((a, b) => b.length - a.length);
  if (ordered.length === 0) return (text) => text;
  return (text) => {
    let out = text;
    for (const secret of ordered) if (out.includes(secret)) out = out.split(secret).join(REDACTED);
    return out;
  };
}
