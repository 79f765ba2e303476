import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { parse, printParseErrorCode, type ParseError } from 'jsonc-parser';

/** A JSON (with comments) file that cannot be read or parsed: one line per problem, each naming the file. */
export class JsoncError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(problems.join('\n'));
    this.problems = problems;
  }
}

function lineAndColumn(text: string, offset: number): string {
  const before = text.slice(0, offset).split('\n');
  return `${before.length}:${before.at(-1)!.length + 1}`;
}

/**
 * Reads JSON with comments and trailing commas, as Nx (project.json) and wrangler (wrangler.jsonc) do,
 * but never guesses past a syntax error: every error is reported as `file:line:column: what`.
 */
export function readJsonc(path: string, root = process.cwd()): unknown {
  const inRoot = relative(root, path);
  const shown = inRoot && !inRoot.startsWith('..') ? inRoot : path;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new JsoncError([`${shown}: cannot be read (${code === 'ENOENT' ? 'no such file' : code ?? (error as Error).message})`]);
  }
  const errors: ParseError[] = [];
  const value = parse(text, errors, { allowTrailingComma: true });
  if (errors.length) {
    throw new JsoncError(errors.map((e) => `${shown}:${lineAndColumn(text, e.offset)}: ${printParseErrorCode(e.error)} — fix the syntax there`));
  }
  return value;
}
