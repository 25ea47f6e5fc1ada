import { existsSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import type { Manifest } from './dockerfile-checks.js';

const readManifest = (dir: string) => JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Manifest;

/** Names of the packages in one node_modules folder, scoped ones as `@scope/name`. */
function namesIn(nodeModules: string): string[] {
  if (!existsSync(nodeModules)) return [];
  return readdirSync(nodeModules)
    .filter((entry) => !entry.startsWith('.'))
    .flatMap((entry) => (entry.startsWith('@') ? readdirSync(join(nodeModules, entry)).map((name) => `${entry}/${name}`) : [entry]));
}

/**
 * Every package name under the node_modules of the package in `dir`: its own links, and in pnpm's
 * virtual store (node_modules/.pnpm) each package with the links to its dependencies, and the hoisted ones.
 */
export function installedNames(dir: string): Set<string> {
  const nodeModules = join(dir, 'node_modules');
  const store = join(nodeModules, '.pnpm');
  const entries = existsSync(store) ? readdirSync(store).map((entry) => join(store, entry, 'node_modules')) : [];
  return new Set([nodeModules, ...entries].flatMap(namesIn));
}

/**
 * Names of the packages the package in `dir` needs to run: its dependencies and optional dependencies,
 * and theirs, each looked up where pnpm links it (beside the package that depends on it).
 */
export function runtimeNeeds(dir: string): Set<string> {
  const root = realpathSync(dir);
  const needed = new Set<string>();
  const visited = new Set<string>();
  const queue = [root];
  for (let pkg = queue.pop(); pkg !== undefined; pkg = queue.pop()) {
    if (visited.has(pkg)) continue;
    visited.add(pkg);
    const { dependencies, optionalDependencies } = readManifest(pkg);
    const linkedIn = pkg === root ? join(pkg, 'node_modules') : pkg.slice(0, pkg.lastIndexOf('/node_modules/') + '/node_modules'.length);
    for (const name of Object.keys({ ...dependencies, ...optionalDependencies })) {
      const path = join(linkedIn, name);
      // an optional dependency for another platform is not installed
      if (!existsSync(path)) continue;
      needed.add(name);
      queue.push(realpathSync(path));
    }
  }
  return needed;
}

/** devDependencies of the given manifests installed in `dir` that no package there needs to run, beyond `allowed`. */
export function strayDevDependencies(dir: string, manifests: Manifest[], allowed: ReadonlySet<string>): string[] {
  const devDependencies = new Set(manifests.flatMap((manifest) => Object.keys(manifest.devDependencies ?? {})));
  const needed = runtimeNeeds(dir);
  return [...installedNames(dir)].filter((name) => devDependencies.has(name) && !needed.has(name) && !allowed.has(name)).sort();
}
