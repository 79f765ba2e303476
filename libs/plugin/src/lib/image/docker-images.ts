import { runCommand, type RunResult } from '../../../../dev-engine/src/index.ts';

export interface BuildSpec {
  dockerfile: string;
  tag: string;
  context: string;
  buildArgs: Record<string, string>;
  network?: string;
  progress: 'plain' | 'tty';
}

/** `docker buildx build …` as an argument array (BuildKit; --load so any builder driver lands the image locally). */
export function buildxArgs(spec: BuildSpec): string[] {
  const args = ['buildx', 'build', '--load', '-f', spec.dockerfile, '-t', spec.tag, '--progress', spec.progress];
  for (const [name, value] of Object.entries(spec.buildArgs)) args.push('--build-arg', `${name}=${value}`);
  if (spec.network) args.push('--network', spec.network);
  args.push(spec.context);
  return args;
}

/** Plain progress unless a person is watching a terminal outside CI. */
export function progressMode(requested: 'auto' | 'plain' | 'tty', stdoutIsTty: boolean, env: NodeJS.ProcessEnv): 'plain' | 'tty' {
  if (requested !== 'auto') return requested;
  return stdoutIsTty && !env.CI ? 'tty' : 'plain';
}

export const MB = 1_000_000;

export interface SizeReport {
  imageMb: number;
  baseMb: number;
  overheadMb: number;
  overBudget: boolean;
  line: string;
}

export function sizeReport(tag: string, imageBytes: number, base: string, baseBytes: number, budgetMb: number): SizeReport {
  const imageMb = imageBytes / MB;
  const baseMb = baseBytes / MB;
  const overheadMb = imageMb - baseMb;
  const overBudget = overheadMb > budgetMb;
  const line =
    `${tag}: ${imageMb.toFixed(0)} MB; ${overheadMb.toFixed(1)} MB over its base ${base} (${baseMb.toFixed(0)} MB); ` +
    `budget ${budgetMb} MB${overBudget ? ' — OVER BUDGET' : ''}`;
  return { imageMb, baseMb, overheadMb, overBudget, line };
}

/** The docker commands the image executor needs, behind one object so its flow reads as steps. */
export class DockerImages {
  private readonly docker: string;
  private readonly cwd: string;
  private readonly env: NodeJS.ProcessEnv;
  private readonly onLine: (line: string) => void;

  constructor(docker: string, cwd: string, env: NodeJS.ProcessEnv, onLine: (line: string) => void) {
    this.docker = docker;
    this.cwd = cwd;
    this.env = env;
    this.onLine = onLine;
  }

  private run(args: string[], options: { quiet?: boolean; timeoutMs?: number } = {}): Promise<RunResult> {
    return runCommand(this.docker, args, { cwd: this.cwd, env: this.env, timeoutMs: options.timeoutMs, onLine: options.quiet ? undefined : this.onLine });
  }

  async exists(image: string): Promise<boolean> {
    return (await this.run(['image', 'inspect', '--format', '{{.Id}}', image], { quiet: true })).exitCode === 0;
  }

  async pull(image: string, timeoutMs: number): Promise<RunResult> {
    return this.run(['pull', image], { timeoutMs });
  }

  async build(spec: BuildSpec): Promise<RunResult> {
    return this.run(buildxArgs(spec));
  }

  async sizeBytes(image: string): Promise<number> {
    const result = await this.run(['image', 'inspect', '--format', '{{.Size}}', image], { quiet: true });
    return Number(result.stdout);
  }
}
