import type { DevRuntime } from './runtime.ts';

/** Placeholder until the compose runtime lands: says so plainly instead of pretending. */
export const dockerRuntime: DevRuntime = {
  name: 'docker',
  async unavailable() {
    return 'the docker runtime is not available yet — run with --runtime=native';
  },
  async up() {
    throw new Error('the docker runtime is not available yet — run with --runtime=native');
  },
};
