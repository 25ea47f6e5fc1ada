import { existsSync, globSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { parse } from 'yaml';
import { copies, execForm, instructions, originOf, parseDockerfile, pnpmCalls, splitWords, stageEnv, type PnpmCall, type Stage } from './dockerfile.js';
import { findScriptRun, isWithin, scriptPnpmCalls, type RuntimeScript, type ScriptRun } from './runtime-script.js';

export interface Manifest {
  name?: string;
  packageManager?: string;
  engines?: { node?: string };
  scripts?: Record<string, string>;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

export interface Workspace {
  root: string;
  manifest: Manifest;
  /** Workspace packages by their folder, relative to the root ('server', 'admin-ui'). */
  packages: Map<string, Manifest>;
}

export function readWorkspace(root: string): Workspace {
  const readJson = (path: string) => JSON.parse(readFileSync(join(root, path), 'utf8')) as Manifest;
  const { packages = [] } = parse(readFileSync(join(root, 'pnpm-workspace.yaml'), 'utf8')) as { packages?: string[] };
  const dirs = packages.flatMap((pattern) => globSync(pattern, { cwd: root })).filter((dir) => existsSync(join(root, dir, 'package.json')));
  return { root, manifest: readJson('package.json'), packages: new Map(dirs.map((dir) => [dir, readJson(`${dir}/package.json`)])) };
}

/** A Dockerfile read against the workspace it builds and the runtime script it runs. */
export class DockerfileModel {
  readonly stages: Stage[];
  readonly runtime: Stage;
  /** Where the image holds the workspace root: the folder pnpm-lock.yaml is copied to. */
  readonly imageRoot: string;
  readonly scriptRun: ScriptRun | undefined;

  constructor(
    readonly text: string,
    readonly workspace: Workspace,
    readonly script: RuntimeScript,
  ) {
    this.stages = parseDockerfile(text);
    this.runtime = this.stages.at(-1)!;
    const lockCopy = this.stages.flatMap(copies).find((c) => !c.from && c.sources.includes('pnpm-lock.yaml'));
    this.imageRoot = lockCopy?.dest ?? '/';
    this.scriptRun = findScriptRun(this.stages, posix.join(this.imageRoot, script.path));
  }

  /** Every pnpm call of the build: the Dockerfile's, and the runtime script's (run at the workspace root). */
  pnpmCalls(): PnpmCall[] {
    return [...this.stages.flatMap(pnpmCalls), ...scriptPnpmCalls(this.script, this.imageRoot)];
  }

  /** The workspace-relative path of an image path under the workspace root, or undefined outside it. */
  repoPath(imagePath: string): string | undefined {
    const relative = posix.relative(this.imageRoot, imagePath);
    return relative.startsWith('..') || posix.isAbsolute(relative) ? undefined : relative;
  }

  /** `pnpm [--filter X] run Y` naming a package or a script that does not exist. */
  missingScripts(): string[] {
    const problems: string[] = [];
    for (const call of this.pnpmCalls()) {
      const runAt = call.command.findIndex((word) => word === 'run' || word === 'run-script');
      if (runAt === -1) continue;
      const script = call.command.slice(runAt + 1).find((word) => !word.startsWith('-'));
      for (const dir of this.targetPackages(call.workdir, call.filters, problems, call.where)) {
        const scripts = (dir === '' ? this.workspace.manifest : this.workspace.packages.get(dir))?.scripts ?? {};
        if (!script || !(script in scripts)) problems.push(`${call.where}: no script "${script}" in ${dir || '.'}/package.json`);
      }
    }
    return problems;
  }

  /** Folders (relative to the root, '' for the root) of the packages a pnpm call runs in. */
  targetPackages(workdir: string, filters: string[], problems: string[] = [], where = ''): string[] {
    if (filters.length === 0) {
      const dir = this.repoPath(workdir);
      if (dir === undefined || (dir !== '' && !this.workspace.packages.has(dir))) problems.push(`${where}: ${workdir} is no workspace package`);
      return dir === undefined ? [] : [dir];
    }
    return filters.flatMap((filter) => {
      const selector = filter.replace(/\.\.\.$/, '');
      const dir = selector.startsWith('.') || selector.startsWith('/')
        ? this.repoPath(posix.resolve(workdir, selector))
        : [...this.workspace.packages].find(([, manifest]) => manifest.name === selector)?.[0];
      if (dir === undefined || !this.workspace.packages.has(dir)) {
        problems.push(`${where}: --filter ${filter} selects no workspace package`);
        return [];
      }
      return [dir];
    });
  }

  /** pnpm versions the Dockerfile installs or runs that differ from packageManager. */
  pnpmVersionMismatches(): string[] {
    const expected = this.workspace.manifest.packageManager?.replace(/^pnpm@/, '');
    const found = [...this.text.matchAll(/\bpnpm@(\S+)/g)].map((m) => m[1]!);
    if (found.length === 0) return ['no pnpm@<version> in the Dockerfile'];
    return found.filter((v) => v !== expected).map((v) => `pnpm@${v}, but packageManager is pnpm@${expected}`);
  }

  /** Base images that are not Debian-based Node images of the major engines.node allows. */
  baseImageProblems(): string[] {
    const major = /\d+/.exec(this.workspace.manifest.engines?.node ?? '')?.[0];
    const stageNames = new Set(this.stages.map((s) => s.name));
    return this.stages
      .filter((stage) => !stageNames.has(stage.from))
      .flatMap((stage) => {
        const [image, tag = 'latest'] = stage.from.split(':');
        if (image !== 'node' && image !== 'docker.io/library/node') return [`FROM ${stage.from}: not a node image`];
        if (tag.split('-')[0]?.split('.')[0] !== major) return [`FROM ${stage.from}: engines.node wants Node ${major}`];
        if (tag.includes('alpine')) return [`FROM ${stage.from}: musl, but sharp and argon2 ship glibc binaries`];
        return [];
      });
  }

  /** Whether the final stage's CMD is the server's start:prod, run in the server folder, on built files. */
  cmdProblems(): string[] {
    const server = this.workspace.packages.get('server');
    // the command start:prod finally execs: its shell prelude (the shells leave Ctrl-C to node) runs no program
    const script = server?.scripts?.['start:prod'] ?? '';
    const startProd = splitWords((script.split(';').at(-1) ?? '').trim().replace(/^exec\s+/, ''));
    const cmd = instructions(this.runtime, 'CMD').at(-1);
    const argv = cmd && execForm(cmd.args);
    if (!cmd || !argv) return ['the runtime stage has no exec-form CMD'];
    const problems: string[] = [];
    if (argv.join(' ') !== startProd.join(' ')) problems.push(`CMD ${argv.join(' ')} is not start:prod (${startProd.join(' ')})`);
    if (this.repoPath(cmd.workdir) !== 'server') problems.push(`CMD runs in ${cmd.workdir}, not the server folder`);
    const file = argv.slice(1).find((arg) => !arg.startsWith('-'));
    if (!file) return [...problems, 'CMD names no file'];
    const built = this.builtFrom(posix.resolve(cmd.workdir, file));
    if (built === undefined) return [...problems, `${file} is not copied from a build stage`];
    const outDir = this.serverOutDir();
    if (!built.startsWith(`server/${outDir}/`)) return [...problems, `${file} comes from ${built}, not server/${outDir}`];
    const source = built.replace(`server/${outDir}/`, 'server/src/').replace(/\.js$/, '.ts');
    if (!existsSync(join(this.workspace.root, source))) problems.push(`${file} has no source ${source}`);
    return problems;
  }

  private serverOutDir(): string {
    const config = JSON.parse(readFileSync(join(this.workspace.root, 'server/tsconfig.build.json'), 'utf8')) as { compilerOptions?: { outDir?: string } };
    return posix.normalize(config.compilerOptions?.outDir ?? 'dist');
  }

  /** The user the runtime stage ends as, if any. */
  runtimeUser(): string | undefined {
    return instructions(this.runtime, 'USER').at(-1)?.args.split(':')[0];
  }

  /** Build-context paths COPY'd that are missing from the repository or dropped by .dockerignore. */
  contextCopyProblems(ignored: (path: string) => boolean): string[] {
    return this.stages.flatMap(copies).filter((c) => !c.from).flatMap((c) =>
      c.sources.flatMap((source) => {
        const path = posix.normalize(source).replace(/\/+$/, '') || '.';
        const matches = /[*?[]/.test(path) ? globSync(path, { cwd: this.workspace.root }) : existsSync(join(this.workspace.root, path)) ? [path] : [];
        if (matches.length === 0) return [`line ${c.line}: ${source} does not exist`];
        return matches.filter(ignored).map((m) => `line ${c.line}: ${m} is excluded by .dockerignore`);
      }),
    );
  }

  runtimeEnv(): Record<string, string> {
    return stageEnv(this.stages, this.runtime);
  }

  /**
   * The workspace path the runtime's copy of `imagePath` is built at. The runtime folder has the
   * workspace's layout (server/dist, admin-ui/dist), which runtime-folder.spec.ts checks.
   */
  builtFrom(imagePath: string): string | undefined {
    const origin = originOf(this.runtime, imagePath);
    if (!origin?.copy.from) return undefined;
    const out = this.scriptRun?.outDir;
    if (out && origin.copy.from === this.scriptRun?.stage.name && isWithin(origin.sourcePath, out)) return posix.relative(out, origin.sourcePath);
    return this.repoPath(origin.sourcePath);
  }
}
