// The oldest Node the engine runs on. Checked before anything else loads: on an older Node its
// dependencies fail at import with errors that name nothing (execa 10 on Node 20: "TEXT_ENCODINGS.union
// is not a function"), and under Nx a continuous target that dies that way reads as a success.

/** chokidar 6 declares Node ≥ 22.22 (its engines field); execa 10 needs Node 22's Set methods. */
export const NODE_MIN = [22, 22] as const;

/** Whether Node `version` (major.minor.patch) is at least `min` (major, minor). */
export function nodeAtLeast(min: readonly [number, number], version = process.versions.node): boolean {
  const [major, minor] = version.split('.').map(Number);
  return major > min[0] || (major === min[0] && minor >= min[1]);
}

/** Why this Node is too old for `what`, with the fix, or undefined when it is new enough. */
export function nodeTooOld(what: string, version = process.versions.node): string | undefined {
  if (nodeAtLeast(NODE_MIN, version)) return undefined;
  return `${what} needs Node ≥ ${NODE_MIN.join('.')}; this is Node ${version} — install a newer Node, or add the node package (22) to the workspace's devDependencies (npx and nx then run on it)`;
}
