import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import picomatch from 'picomatch';

/**
 * The one option validator: every executor and the standalone engine run their options through the
 * executor's own schema.json before anything starts or deploys. Nx checks types and enums, but not
 * `minimum` on integers, formats or anything nested, and the standalone engine checks nothing at all.
 */

/** Bad options: one line per problem, each naming the option, the bad value and what is allowed. */
export class OptionsError extends Error {
  readonly problems: string[];
  constructor(problems: string | string[]) {
    const list = Array.isArray(problems) ? problems : [problems];
    super(list.join('\n'));
    this.problems = list;
  }
}

// `${VAR}` and `${VAR:-default}` are expanded later (from the environment); check the URL around them.
const VARIABLE = /\$\{[A-Za-z_][A-Za-z0-9_]*(?::-[^}]*)?\}/g;

/** Why a value is not an http(s) URL, or undefined when it is one (or may be: it starts with a `${VAR}`). */
export function httpUrlProblem(value: string): string | undefined {
  // `${BASE}/health` is judged once expanded (the smoke executor checks the expanded URL again).
  if (/^\$\{/.test(value)) return undefined;
  let url: URL;
  try {
    url = new URL(value.replace(VARIABLE, 'x'));
  } catch {
    return 'it must be an http:// or https:// URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `it must be an http:// or https:// URL, not ${url.protocol}//`;
  // fetch refuses such a URL on every attempt (the smoke test would retry it, then roll a deploy back),
  // and every line naming the URL would print the password.
  if (url.username || url.password) return 'a URL with credentials (user:password@) cannot be fetched, and would be printed — remove them from the URL';
  return undefined;
}

/** The URL(s) in `text` with any `user:password@` replaced by `***@`, for messages. */
export function maskUrlCredentials(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@"]*@/gi, '$1***@');
}

/** Why a glob would silently match nothing (an unclosed bracket, brace or parenthesis), or undefined. */
export function globProblem(glob: string): string | undefined {
  if (!glob.trim()) return 'an empty glob matches nothing';
  // Files are matched by their path relative to the workspace root: an absolute glob never matches (and
  // its folder, "/", would be watched), a ".." one watches outside the workspace (your home folder, say).
  if (glob.startsWith('/')) return 'an absolute glob never matches: globs are relative to the workspace root — drop the leading "/"';
  if (glob.split('/').includes('..')) return '".." leads outside the workspace: globs are relative to the workspace root, and only files in it are matched';
  const closers: Record<string, string> = { '[': ']', '{': '}', '(': ')' };
  const open: string[] = [];
  for (let i = 0; i < glob.length; i += 1) {
    const char = glob[i];
    if (char === '\\') {
      i += 1;
      continue;
    }
    // Inside a character class everything is literal up to its `]`.
    if (open.at(-1) === '[') {
      if (char === ']' && glob[i - 1] !== '[' && !(glob[i - 1] === '!' && glob[i - 2] === '[')) open.pop();
      continue;
    }
    if (char in closers) open.push(char);
    else if (char === ']' || char === '}' || char === ')') {
      if (closers[open.at(-1) ?? ''] !== char) return `"${char}" at position ${i + 1} closes nothing — escape it as \\${char} or remove it`;
      open.pop();
    }
  }
  if (open.length) return `"${open.at(-1)}" is never closed — close it with "${closers[open.at(-1)!]}" or escape it as \\${open.at(-1)}`;
  if (String(picomatch.makeRe(glob, { dot: true })) === '/$^/') return 'picomatch compiles it to a pattern that matches nothing';
  return undefined;
}

const ajv = new Ajv({ allErrors: true, useDefaults: true, verbose: true, strict: true });
// Nx's own schema keywords: not validation, but valid in an executor's schema.json.
for (const keyword of ['version', 'outputCapture', 'continuous', 'x-prompt', 'x-priority', 'x-deprecated', 'cli']) ajv.addKeyword(keyword);
ajv.addFormat('http-url', (value: string) => httpUrlProblem(value) === undefined);
ajv.addFormat('glob', (value: string) => globProblem(value) === undefined);

interface Schema {
  $schema?: string;
  properties?: Record<string, unknown>;
}
const compiled = new WeakMap<object, ValidateFunction>();

function compile(schema: Schema): ValidateFunction {
  const cached = compiled.get(schema);
  if (cached) return cached;
  // Nx's meta-schema URL is not a JSON Schema draft ajv knows; the keywords are draft-07's.
  const { $schema: _metaSchema, ...rest } = schema;
  const validate = ajv.compile(rest);
  compiled.set(schema, validate);
  return validate;
}

/** `processes/0/health/http` → `processes[0].health.http` */
function optionPath(instancePath: string): string {
  return instancePath
    .split('/')
    .slice(1)
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((path, part) => (/^\d+$/.test(part) ? `${path}[${part}]` : path ? `${path}.${part}` : part), '');
}

function show(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}…` : text;
}

function describe(error: ErrorObject): string {
  const path = optionPath(error.instancePath);
  const subject = path ? `${path} is ${error.keyword === 'format' ? maskUrlCredentials(show(error.data)) : show(error.data)}` : 'the options';
  const p = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required':
      return `${path ? `${path}: ` : ''}"${p.missingProperty}" is missing — add it${describeProperty(error.parentSchema, String(p.missingProperty))}`;
    case 'additionalProperties': {
      const allowed = Object.keys((error.parentSchema as Schema | undefined)?.properties ?? {});
      return `${path ? `${path}: ` : ''}unknown option "${p.additionalProperty}" — allowed: ${allowed.join(', ')}`;
    }
    case 'enum':
      return `${subject} — allowed: ${(p.allowedValues as unknown[]).map((v) => String(v)).join(', ')}`;
    case 'type':
      return `${subject} — it must be ${Array.isArray(p.type) ? p.type.join(' or ') : `${/^[aeiou]/.test(String(p.type)) ? 'an' : 'a'} ${p.type}`}`;
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return `${subject} — it must be ${p.comparison} ${p.limit}`;
    case 'minItems':
      return `${subject} — it needs at least ${p.limit} item(s)`;
    case 'minLength': {
      // An empty string is no value (`--envFile=` loaded nothing, silently): say how to get the default.
      const fallback = (error.parentSchema as { default?: unknown } | undefined)?.default;
      const fix = fallback === undefined ? 'give it a value' : `leave it out for the default (${show(fallback)}), or give it a value`;
      return p.limit === 1 ? `${subject} — it cannot be empty: ${fix}` : `${subject} — it needs at least ${p.limit} characters`;
    }
    case 'pattern':
      return `${subject} — it must match ${p.pattern}`;
    case 'format':
      return `${subject} — ${(p.format === 'glob' ? globProblem(String(error.data)) : httpUrlProblem(String(error.data))) ?? error.message}`;
    case 'oneOf':
      return `${subject} — it must be exactly one of: ${((error.schema as Array<{ type?: string; required?: string[] }>) ?? []).map(branchSummary).join('; ')}`;
    default:
      return `${subject} — ${error.message}`;
  }
}

function describeProperty(parentSchema: unknown, name: string): string {
  const description = (parentSchema as { properties?: Record<string, { description?: string }> } | undefined)?.properties?.[name]?.description;
  return description ? ` (${description.split(/(?<=\.) /)[0].replace(/\.$/, '').replace(/^[A-Z]/, (c) => c.toLowerCase())})` : '';
}

function branchSummary(branch: { type?: string; required?: string[] }): string {
  if (branch.type === 'object' && branch.required?.length) return `an object with ${branch.required.map((r) => `"${r}"`).join(' and ')}`;
  return branch.type ? `${/^[aeiou]/.test(branch.type) ? 'an' : 'a'} ${branch.type}` : 'a value';
}

/**
 * Ajv reports a failed oneOf with the errors of every branch. Keep only the branch the value was
 * meant for (the one without a type, required or unknown-key error at the oneOf's own place); when no
 * single branch fits, one line for the oneOf.
 */
function simplify(errors: ErrorObject[]): ErrorObject[] {
  const structural = new Set(['type', 'required', 'additionalProperties']);
  let result = errors;
  for (const oneOf of errors.filter((e) => e.keyword === 'oneOf')) {
    const prefix = `${oneOf.schemaPath}/`;
    const branches = new Map<string, ErrorObject[]>();
    // Errors of the same oneOf for another array item share its schemaPath, not its instancePath.
    const mine = (e: ErrorObject) => e.schemaPath.startsWith(prefix) && (e.instancePath === oneOf.instancePath || e.instancePath.startsWith(`${oneOf.instancePath}/`));
    for (const error of result) {
      if (!mine(error)) continue;
      const branch = error.schemaPath.slice(prefix.length).split('/')[0];
      branches.set(branch, [...(branches.get(branch) ?? []), error]);
    }
    const count = (oneOf.schema as unknown[]).length;
    const fitting = [...Array(count).keys()]
      .map(String)
      .filter((branch) => !(branches.get(branch) ?? []).some((e) => e.instancePath === oneOf.instancePath && structural.has(e.keyword)));
    const keep = fitting.length === 1 && branches.has(fitting[0]) ? new Set(branches.get(fitting[0])) : new Set([oneOf]);
    result = result.filter((e) => (e === oneOf || mine(e) ? keep.has(e) : true));
  }
  return result;
}

/**
 * Checks options against an executor's schema and fills the schema's defaults (nested ones too).
 * Returns a validated copy; throws an OptionsError with one line per problem.
 */
export function validateOptions<T>(schema: object, options: unknown): T {
  const copy = structuredClone(options ?? {});
  const validate = compile(schema as Schema);
  if (validate(copy)) return copy as T;
  const lines = simplify(validate.errors ?? []).map(describe);
  throw new OptionsError([...new Set(lines)]);
}

/**
 * validateOptions for an executor's entry point: on bad options, reports each problem through `report`
 * (one line each) and returns undefined, so the caller exits 1 before anything runs.
 */
export function checkOptions<T>(schema: object, options: unknown, report: (problem: string) => void): T | undefined {
  try {
    return validateOptions<T>(schema, options);
  } catch (error) {
    if (!(error instanceof OptionsError)) throw error;
    for (const problem of error.problems) report(problem);
    return undefined;
  }
}
