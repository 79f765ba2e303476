import picomatch from 'picomatch';

/** One routing rule from the target's options: which files, and what a change to them means. */
export interface ReloadRule {
  /** Globs relative to the workspace root. */
  match: string[];
  /** Processes to restart (by name). */
  restart?: string[];
  /**
   * A command to run first (for example regenerating SOUL.md); a failure skips the restarts of this rule.
   * After timeoutMs (default 60 s) its process group is killed: that is a failure too.
   */
  run?: { command: string; args?: string[]; timeoutMs?: number };
  /** What to tell the user: alone, for files that need no restart (mounted live, or needing dev-build); with `run`, once it succeeded. */
  notify?: string;
}

export interface RuleHit {
  rule: ReloadRule;
  files: string[];
}

export interface RoutePlan {
  /** Rules that matched, in rule order, each with the files it took. */
  hits: RuleHit[];
  /** Process name → the files that make it restart. */
  restarts: Map<string, string[]>;
  /** Files no rule matched: watched but ignored. */
  unmatched: string[];
}

type Matcher = (path: string) => boolean;
const matcherCache = new WeakMap<ReloadRule, Matcher>();

function matcherFor(rule: ReloadRule): Matcher {
  let matcher = matcherCache.get(rule);
  if (!matcher) {
    matcher = picomatch(rule.match, { dot: true });
    matcherCache.set(rule, matcher);
  }
  return matcher;
}

/** Each file goes to the first rule that matches it, so specific rules are written before general ones. */
export function routeChanges(files: Iterable<string>, rules: readonly ReloadRule[]): RoutePlan {
  const byRule = new Map<ReloadRule, string[]>();
  const unmatched: string[] = [];
  for (const file of new Set(files)) {
    const posix = file.split('\\').join('/');
    const rule = rules.find((candidate) => matcherFor(candidate)(posix));
    if (!rule) {
      unmatched.push(posix);
      continue;
    }
    const list = byRule.get(rule) ?? [];
    list.push(posix);
    byRule.set(rule, list);
  }
  const hits = rules.filter((rule) => byRule.has(rule)).map((rule) => ({ rule, files: byRule.get(rule)!.sort() }));
  const restarts = new Map<string, string[]>();
  for (const hit of hits) {
    for (const name of hit.rule.restart ?? []) restarts.set(name, [...(restarts.get(name) ?? []), ...hit.files]);
  }
  return { hits, restarts, unmatched };
}

/** The folders (or files) to watch: the static part of every glob, with nested ones folded into their parent. */
export function watchRoots(rules: readonly ReloadRule[]): string[] {
  const bases = rules.flatMap((rule) =>
    rule.match.map((glob) => {
      const scan = picomatch.scan(glob);
      return scan.isGlob ? scan.base || '.' : glob;
    }),
  );
  const unique = [...new Set(bases.map((base) => base.replace(/\/+$/, '') || '.'))].sort();
  return unique.filter((base) => !unique.some((other) => other !== base && (other === '.' || base.startsWith(`${other}/`))));
}

/**
 * A file name as printed: control characters (an escape sequence that recolours or rewrites the
 * terminal, a newline that forges a line of our own) shown as \xNN, never sent to the terminal.
 */
function printable(file: string): string {
  // eslint-disable-next-line no-control-regex
  return file.replace(/[\u0000-\u001f\u007f-\u009f]/g, (char) => `\\x${char.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** "a.ts, b.ts and 3 more" */
export function describeFiles(files: readonly string[], max = 3): string {
  const shown = files.map(printable);
  if (shown.length <= max) return shown.join(', ');
  return `${shown.slice(0, max).join(', ')} and ${shown.length - max} more`;
}
