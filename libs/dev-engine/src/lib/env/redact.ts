/** Names whose values are secrets even when they come from the environment rather than an env file. */
const SECRET_NAME = /(TOKEN|SECRET|PASSWORD|PASSWD|API_KEY|ACCESS_KEY|PRIVATE_KEY|CREDENTIAL)/i;
/** Cloudflare's variables: account ids and subdomains are not "secret" by name, but say who deploys where. */
const CLOUDFLARE_NAME = /^(CLOUDFLARE|CF)_/;
const MIN_SECRET_LENGTH = 4;
export const REDACTED = '***';

/**
 * Values too common to hide: replacing `true`, `https`, `localhost` or a port wherever they occur turns
 * ordinary output into `***s://***:***`, and hides nothing an attacker could not guess.
 */
const COMMON_WORDS = new Set([
  'true', 'false', 'yes', 'no', 'on', 'off', 'null', 'none', 'undefined', 'enabled', 'disabled',
  'http', 'https', 'localhost', 'loopback', 'lan', 'auto', 'native', 'docker',
  'development', 'production', 'staging', 'test', 'testing', 'local',
  'debug', 'info', 'warn', 'warning', 'error', 'trace', 'verbose', 'silent',
]);
/** Numbers (a port, a count) and dotted numbers (0.0.0.0, 127.0.0.1, a version). */
const COMMON_NUMBER = /^\d+(?:\.\d+)*$/;

export function isCommonValue(value: string): boolean {
  const v = value.trim().toLowerCase();
  return COMMON_WORDS.has(v) || COMMON_NUMBER.test(v);
}

export interface Redactor {
  (text: string): string;
  /** Variables whose values are not hidden because they are common (isCommonValue) or plain configuration, sorted. */
  readonly skipped: readonly string[];
  /** The variables whose hidden values occur in `text` (to warn without showing them). */
  namesIn(text: string): string[];
}

/**
 * Every value from an env file is treated as secret (they hold API keys and tokens); from the process
 * environment the values whose names say so and Cloudflare's. A multi-line value (a PEM key) is hidden
 * as a whole and line by line, since output reaches us a line at a time. Longer values are replaced
 * first so a secret that contains another is not half-revealed.
 */
export function createRedactor(
  envFileValues: Record<string, string> | ReadonlyArray<readonly [string, string]> = {},
  environment: NodeJS.ProcessEnv = {},
  /** A value that is plainly configuration (a folder of the workspace): shown, unless its name says secret. */
  isPlainConfig: (value: string) => boolean = () => false,
): Redactor {
  const pairs: Array<readonly [string, string | undefined]> = [
    ...(Array.isArray(envFileValues) ? envFileValues : Object.entries(envFileValues)),
    ...Object.entries(environment).filter(([name]) => SECRET_NAME.test(name) || CLOUDFLARE_NAME.test(name)),
  ];
  const owners = new Map<string, Set<string>>();
  const skipped = new Set<string>();
  const add = (secret: string, name: string) => {
    if (secret.length < MIN_SECRET_LENGTH || isCommonValue(secret)) return false;
    const names = owners.get(secret) ?? new Set<string>();
    owners.set(secret, names.add(name));
    return true;
  };
  for (const [name, value] of pairs) {
    if (!value) continue;
    if (isCommonValue(value) || (!SECRET_NAME.test(name) && isPlainConfig(value))) {
      skipped.add(name);
      continue;
    }
    add(value, name);
    add(value.trim(), name);
    // Each line of a multi-line value alone: short or common lines (a blank, `}`) carry nothing.
    if (/[\r\n]/.test(value)) for (const line of value.split(/\r?\n|\r/)) add(line.trim(), name);
  }
  const ordered = [...owners.keys()].sort((a, b) => b.length - a.length);
  const redact = (text: string) => {
    let out = text;
    for (const secret of ordered) if (out.includes(secret)) out = out.split(secret).join(REDACTED);
    return out;
  };
  const namesIn = (text: string) => {
    const names = new Set<string>();
    let rest = text;
    for (const secret of ordered) {
      if (!rest.includes(secret)) continue;
      for (const name of owners.get(secret) ?? []) names.add(name);
      rest = rest.split(secret).join('\0');
    }
    return [...names].sort();
  };
  return Object.assign(redact, { skipped: [...skipped].sort(), namesIn });
}

/** One line saying which variables are shown as they are, or undefined when none; never a value. */
export function skippedNotice(redact: Redactor): string | undefined {
  if (redact.skipped.length === 0) return undefined;
  return (
    `not hiding ${redact.skipped.join(', ')} in output: ${redact.skipped.length > 1 ? 'their values are' : 'its value is'} ` +
    'a common word or number (true, https, localhost, a port…) or a path in the workspace, which would garble every line it occurs in'
  );
}

/**
 * A secret expanded into a program's arguments (`args: ["--token", "${TOKEN}"]`) can be read by every
 * user of the machine in `ps`; the environment cannot. One line per process, naming the variables.
 */
export function secretsInArgsWarnings(processes: ReadonlyArray<{ name: string; args: readonly string[] }>, redact: Redactor): string[] {
  const warnings: string[] = [];
  for (const process of processes) {
    const names = redact.namesIn(process.args.join('\n'));
    if (names.length === 0) continue;
    const list = names.join(', ');
    warnings.push(
      `WARNING: ${process.name} gets ${list} in its "args", where anyone on this machine can read ${names.length > 1 ? 'them' : 'it'} with ps — ` +
        `pass ${names.length > 1 ? 'them' : 'it'} through the process's "env" instead (${names.map((n) => `"${n}": "\${${n}}"`).join(', ')}) and have the program read ${names.length > 1 ? 'them' : 'it'} from there`,
    );
  }
  return warnings;
}
