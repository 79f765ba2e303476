// Merging the generator's Makefile into one the user already has: a target the Makefile lacks is
// appended, one it already defines is the user's and stays as it is (listed when it differs from
// ours, replaced only with --force). Every other line of the user's file is left alone.

/** A rule of the generated Makefile: its target name and its lines (the rule line and its recipe). */
interface Rule {
  name: string;
  lines: string[];
}

const RULE = /^([A-Za-z0-9_.][\w.-]*)\s*::?(?!=)/;

/** The rules of our (generated) Makefile, in order; comments, variables and .PHONY are not rules. */
function rulesOf(makefile: string): Rule[] {
  const rules: Rule[] = [];
  let current: Rule | null = null;
  for (const line of makefile.split('\n')) {
    const match = RULE.exec(line);
    if (match && match[1] !== '.PHONY') {
      current = { name: match[1], lines: [line] };
      rules.push(current);
    } else if (current && line.startsWith('\t')) {
      current.lines.push(line);
    } else {
      current = null;
    }
  }
  return rules;
}

interface Definition {
  index: number;
  length: number;
  /**
   * Whether --force may put our rule in place of these lines: a plain rule of this one target, defined
   * once, outside define/ifeq blocks, with the default recipe prefix and no continued rule line. Anything
   * else (`dev dev-down:`, `dev: \\`, `dev: FOO=1` plus `dev:`, .RECIPEPREFIX) would be cut apart.
   */
  replaceable: boolean;
}

/** Where each target of an existing Makefile is defined: the rule line's index and its recipe's length. */
function definedTargets(lines: string[]): Map<string, Definition> {
  const targets = new Map<string, Definition>();
  const recipePrefix = lines.some((line) => /^\s*\.RECIPEPREFIX\s*[:?+!]?=/.test(line));
  let depth = 0;
  let inDefine = false;
  lines.forEach((line, index) => {
    if (inDefine) {
      if (/^\s*endef\b/.test(line)) inDefine = false;
      return;
    }
    if (/^\s*(?:override\s+|export\s+)?define\b/.test(line)) {
      inDefine = true;
      return;
    }
    if (/^\s*if(?:n?eq|n?def)\b/.test(line)) depth++;
    if (/^\s*endif\b/.test(line)) depth = Math.max(0, depth - 1);
    if (line.startsWith('\t') || line.startsWith('#')) return;
    const colon = line.search(/::?(?!=)/);
    if (colon <= 0 || /^[^:]*[?+!]?=/.test(line)) return;
    // The recipe: tab lines, with blank and comment lines among them (make ignores those).
    let last = index;
    for (let next = index + 1; next < lines.length; next++) {
      if (lines[next].startsWith('\t')) last = next;
      else if (lines[next].trim() !== '' && !lines[next].startsWith('#')) break;
    }
    const names = line.slice(0, colon).trim().split(/\s+/);
    const after = line.slice(colon).replace(/^::?/, '');
    const plain = names.length === 1 && depth === 0 && !recipePrefix && !line.endsWith('\\') && !/^[^;]*=/.test(after);
    for (const name of names) {
      if (name === '.PHONY') continue;
      const seen = targets.get(name);
      if (seen) seen.replaceable = false;
      else targets.set(name, { index, length: last - index + 1, replaceable: plain });
    }
  });
  return targets;
}

export interface MakefileMerge {
  content: string;
  /** Targets both files define, with a different recipe: the user's is kept unless forced. */
  differing: string[];
  /** Targets that differ in a rule --force does not rewrite (see Definition.replaceable): kept, to merge by hand. */
  manual: string[];
  added: string[];
}

/** Merges `ours` (the rendered template) into `existing`; the result equals `existing` when nothing is missing. */
export function mergeMakefile(existing: string, ours: string, force: boolean): MakefileMerge {
  // A CRLF Makefile (a Windows checkout; GNU make reads it) is compared without the \r and extended in CRLF.
  const eol = existing.includes('\r\n') ? '\r\n' : '\n';
  const lines = existing.split('\n').map((line) => line.replace(/\r$/, ''));
  const defined = definedTargets(lines);
  const missing: Rule[] = [];
  const differing: string[] = [];
  const manual: string[] = [];
  const replacements: { index: number; length: number; lines: string[] }[] = [];
  for (const rule of rulesOf(ours)) {
    const at = defined.get(rule.name);
    if (!at) {
      missing.push(rule);
      continue;
    }
    const theirs = lines.slice(at.index, at.index + at.length);
    if (theirs.join('\n') === rule.lines.join('\n')) continue;
    if (!at.replaceable) manual.push(rule.name);
    else {
      differing.push(rule.name);
      if (force) replacements.push({ ...at, lines: rule.lines });
    }
  }
  // Bottom-up, so earlier indexes stay valid.
  for (const replacement of replacements.sort((a, b) => b.index - a.index)) {
    lines.splice(replacement.index, replacement.length, ...replacement.lines);
  }
  let content = lines.join('\n');
  if (missing.length > 0) {
    const variable = /^NX\s*(?:::|:|\?|\+)?=/m.test(existing) ? '' : 'NX ?= npx nx\n';
    const names = missing.map((rule) => rule.name);
    content =
      `${content.replace(/\n*$/, '\n')}\n# Added by nx g @loa/plugin:setup: thin wrappers over the Nx targets.\n${variable}` +
      `.PHONY: ${names.join(' ')}\n\n${missing.map((rule) => rule.lines.join('\n')).join('\n\n')}\n`;
  }
  // Unchanged, the user's bytes as they were (whatever mix of endings they hold).
  if (missing.length === 0 && replacements.length === 0) content = existing;
  else if (eol === '\r\n') content = content.replace(/\n/g, '\r\n');
  return { content, differing: force ? [] : differing, manual, added: missing.map((rule) => rule.name) };
}
