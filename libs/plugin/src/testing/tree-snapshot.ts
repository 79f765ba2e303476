// What a generator run changed in a Tree. A Tree from createTreeWithEmptyWorkspace lists every file
// written into it as a change (the workspace's own files, a repository loaded into it), so
// tree.listChanges() cannot say "a second run changed nothing": comparing contents can.
import type { Tree } from '@nx/devkit';

/** Every file's content, by path. */
export function snapshot(tree: Tree): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (dir: string) => {
    for (const child of tree.children(dir)) {
      const path = dir ? `${dir}/${child}` : child;
      if (tree.isFile(path)) files.set(path, tree.read(path, 'utf-8')!);
      else walk(path);
    }
  };
  walk('');
  return files;
}

/** The paths created, changed or deleted since `before`, sorted. */
export function changedSince(tree: Tree, before: Map<string, string>): string[] {
  const after = snapshot(tree);
  const paths = new Set([...before.keys(), ...after.keys()]);
  return [...paths].filter((path) => before.get(path) !== after.get(path)).sort();
}
