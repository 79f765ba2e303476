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

/** Where each target of an existing Makefile is defined: the rule line's index and its recipe's length. */
function definedTargets(lines: string[]): Map<string, { index: number; length: number }> {
  const targets = new Map<string, { index: number; length: number }>();
  lines.forEach((line, index) => {
    if (line.startsWith('\t') || line.startsWith('#')) return;
    const colon = line.search(/::?(?!=)/);
    if (colon <= 0 || /^[^:]*[?+!]?=/.test(line)) return;
    let length = 1;
    while (index + length < lines.length && lines[index + length].startsWith('\t')) length++;
    for (const name of line.slice(0, colon).trim().split(/\s+/)) {
      if (name !== '.PHONY' && !targets.has(name)) targets.set(name, { index, length });
    }
  });
  return targets;
}

export interface MakefileMerge {
  content: string;
  /** Targets both files define, with a different recipe: the user's is kept unless forced. */
  differing: string[];
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
  const replacements: { index: number; length: number; lines: string[] }[] = [];
  for (const rule of rulesOf(ours)) {
    const at = defined.get(rule.name);
    if (!at) {
      missing.push(rule);
      continue;
    }
    const theirs = lines.slice(at.index, at.index + at.length);
    if (theirs.join('\n') === rule.lines.join('\n')) continue;
    differing.push(rule.name);
    if (force) replacements.push({ ...at, lines: rule.lines });
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
  return { content, differing: force ? [] : differing, added: missing.map((rule) => rule.name) };
}
