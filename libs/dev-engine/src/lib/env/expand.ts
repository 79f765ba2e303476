/** `${VAR}` and `${VAR:-default}`, as in compose files and shells. */
export function expand(value: string, env: NodeJS.ProcessEnv): string {
  return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g, (_, name: string, fallback?: string) => {
    const current = env[name];
    return current === undefined || current === '' ? (fallback ?? '') : current;
  });
}

