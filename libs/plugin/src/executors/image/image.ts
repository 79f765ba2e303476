import type { ExecutorContext } from '@nx/devkit';
import { detectDocker, checkOptions } from '../../../../dev-engine/src/index.ts';
import { DockerImages, progressMode, sizeReport } from '../../lib/image/docker-images.ts';
import type { ImageExecutorSchema } from './schema.d.ts';
import schema from './schema.json' with { type: 'json' };

export interface ImageRunContext {
  root: string;
  env: NodeJS.ProcessEnv;
  print: (line: string) => void;
  stdoutIsTty: boolean;
}

/** Base resolution, printed as it goes: local → pull (bounded) → build the production Dockerfile. */
async function resolveBase(images: DockerImages, options: ImageExecutorSchema, progress: 'plain' | 'tty', say: (line: string) => void): Promise<string | undefined> {
  if (await images.exists(options.baseImage)) {
    say(`base ${options.baseImage}: present locally`);
    return options.baseImage;
  }
  say(`base ${options.baseImage}: not local; pulling (up to ${options.pullTimeoutSeconds} s)`);
  const pull = await images.pull(options.baseImage, options.pullTimeoutSeconds * 1000);
  if (pull.exitCode === 0) {
    say(`base ${options.baseImage}: pulled`);
    return options.baseImage;
  }
  say(
    `base ${options.baseImage}: ${pull.timedOut ? 'pull timed out' : 'cannot be pulled'}; ` +
      `building the production Dockerfile as ${options.fallbackTag} (BASE_IMAGE=${options.productionBaseImage})`,
  );
  const fallback = await images.build({
    dockerfile: options.productionDockerfile,
    tag: options.fallbackTag,
    context: options.context,
    buildArgs: { BASE_IMAGE: options.productionBaseImage, ...options.productionBuildArgs },
    network: options.network,
    progress,
  });
  if (fallback.exitCode !== 0) {
    say(`ERROR: the fallback build of ${options.productionDockerfile} failed (exit ${fallback.exitCode}) — see the build output above`);
    return undefined;
  }
  return options.fallbackTag;
}

export async function buildImage(rawOptions: Partial<ImageExecutorSchema>, context: ImageRunContext): Promise<number> {
  const say = (line: string) => context.print(`[loa] ${line}`);
  const options = checkOptions<ImageExecutorSchema>(schema, rawOptions, (problem) => say(`ERROR: ${problem}`));
  if (!options) return 1;
  const found = await detectDocker(context.env, context.root, 'then run this again');
  if (typeof found === 'string') {
    say(`ERROR: ${found}`);
    return 1;
  }
  const images = new DockerImages(found.docker, context.root, context.env, context.print);
  const progress = progressMode(options.progress, context.stdoutIsTty, context.env);
  const started = Date.now();
  const base = await resolveBase(images, options, progress, say);
  if (!base) return 1;

  say(`building ${options.tag} from ${options.dockerfile} on ${base}`);
  const build = await images.build({ dockerfile: options.dockerfile, tag: options.tag, context: options.context, buildArgs: { BASE_IMAGE: base }, network: options.network, progress });
  if (build.exitCode !== 0) {
    say(`ERROR: building ${options.tag} failed (exit ${build.exitCode}) — see the build output above`);
    return 1;
  }
  const report = sizeReport(options.tag, await images.sizeBytes(options.tag), base, await images.sizeBytes(base), options.maxOverheadMb);
  say(`${report.line}; built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  if (report.overBudget && options.failOverBudget) {
    say(`ERROR: the dev image adds ${report.overheadMb.toFixed(1)} MB, over the ${options.maxOverheadMb} MB budget — slim Dockerfile.dev or raise maxOverheadMb`);
    return 1;
  }
  return 0;
}

export default async function imageExecutor(options: ImageExecutorSchema, context: ExecutorContext): Promise<{ success: boolean }> {
  const code = await buildImage(options, { root: context.root, env: process.env, print: (line) => process.stdout.write(`${line}\n`), stdoutIsTty: Boolean(process.stdout.isTTY) });
  return { success: code === 0 };
}
