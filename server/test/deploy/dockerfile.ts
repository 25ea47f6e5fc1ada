import { posix } from 'node:path';

/** One Dockerfile instruction: continuation lines joined, comment lines dropped. */
export interface Instruction {
  keyword: string;
  args: string;
  line: number;
  /** WORKDIR in effect when the instruction runs. */
  workdir: string;
}

export interface Stage {
  name: string | undefined;
  /** The FROM image, or the name of an earlier stage. */
  from: string;
  instructions: Instruction[];
}

/** Splits a Dockerfile into stages; enough of the syntax for the files this repository writes. */
export function parseDockerfile(text: string): Stage[] {
  const stages: Stage[] = [];
  let pending = '';
  let startLine = 0;
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    // Docker drops comment lines even inside a continuation
    if (line.startsWith('#') || (line === '' && pending === '')) return;
    if (pending === '') startLine = index + 1;
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1)} `;
      return;
    }
    const full = (pending + line).trim();
    pending = '';
    if (full === '') return;
    const match = /^(\S+)\s*([\s\S]*)$/.exec(full)!;
    const keyword = match[1]!.toUpperCase();
    const args = match[2]!.trim();
    if (keyword === 'FROM') {
      const words = splitWords(args).filter((w) => !w.startsWith('--'));
      const asIndex = words.findIndex((w) => w.toUpperCase() === 'AS');
      stages.push({ from: words[0]!, name: asIndex === -1 ? undefined : words[asIndex + 1], instructions: [] });
      return;
    }
    const stage = stages.at(-1);
    if (!stage) throw new Error(`line ${startLine}: ${keyword} before the first FROM`);
    const base = stage.instructions.at(-1)?.workdir ?? inheritedWorkdir(stages, stage);
    const workdir = keyword === 'WORKDIR' ? posix.resolve(base, args) : base;
    stage.instructions.push({ keyword, args, line: startLine, workdir });
  });
  return stages;
}

function inheritedWorkdir(stages: Stage[], stage: Stage): string {
  const parent = stages.find((s) => s.name === stage.from && s !== stage);
  return parent?.instructions.at(-1)?.workdir ?? '/';
}

/** Shell-like words: whitespace-separated, single and double quotes grouping. */
export function splitWords(text: string): string[] {
  const words: string[] = [];
  const pattern = /"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g;
  for (const m of text.matchAll(pattern)) words.push(m[1] ?? m[2] ?? m[3]!);
  return words;
}

/** The JSON (exec) form of CMD, ENTRYPOINT, RUN or COPY, or undefined for the shell form. */
export function execForm(args: string): string[] | undefined {
  if (!args.startsWith('[')) return undefined;
  const parsed: unknown = JSON.parse(args);
  return Array.isArray(parsed) ? parsed.map(String) : undefined;
}

/** Leading `--name=value` flags of an instruction, and the words after them. */
export function flagsAndWords(args: string): { flags: Record<string, string>; words: string[] } {
  const flags: Record<string, string> = {};
  let rest = args;
  for (let m = /^--([\w-]+)(?:=(\S*))?\s*/.exec(rest); m; m = /^--([\w-]+)(?:=(\S*))?\s*/.exec(rest)) {
    flags[m[1]!] = m[2] ?? 'true';
    rest = rest.slice(m[0].length);
  }
  return { flags, words: execForm(rest) ?? splitWords(rest) };
}

export function instructions(stage: Stage, keyword: string): Instruction[] {
  return stage.instructions.filter((i) => i.keyword === keyword);
}

/** ENV of a stage, later values winning (stages built FROM another stage inherit theirs). */
export function stageEnv(stages: Stage[], stage: Stage): Record<string, string> {
  const parent = stages.find((s) => s.name === stage.from && s !== stage);
  const env = parent ? stageEnv(stages, parent) : {};
  for (const { args } of instructions(stage, 'ENV')) {
    const words = splitWords(args);
    if (words.length === 2 && !words[0]!.includes('=')) env[words[0]!] = words[1]!;
    else for (const word of words) env[word.slice(0, word.indexOf('='))] = word.slice(word.indexOf('=') + 1);
  }
  return env;
}

export interface Copy {
  /** Stage the files come from; undefined for the build context. */
  from: string | undefined;
  sources: string[];
  /** Absolute destination in the image. */
  dest: string;
  line: number;
}

export function copies(stage: Stage): Copy[] {
  return stage.instructions
    .filter((i) => i.keyword === 'COPY' || i.keyword === 'ADD')
    .map((i) => {
      const { flags, words } = flagsAndWords(i.args);
      const dest = words.at(-1)!;
      return { from: flags.from, sources: words.slice(0, -1), dest: posix.resolve(i.workdir, dest), line: i.line };
    });
}

/**
 * Where a path of a stage came from: the COPY whose destination holds it, and the path in the source
 * stage. Reads COPYs as `COPY --from=x /full/source /full/destination` (a directory's contents land at
 * the destination), the form the runtime stage uses; a file copied into a folder is not resolved.
 */
export function originOf(stage: Stage, path: string): { copy: Copy; sourcePath: string } | undefined {
  for (const copy of copies(stage).reverse()) {
    for (const source of copy.sources) {
      const sourceAbs = posix.resolve('/', source);
      if (path === copy.dest || path.startsWith(`${copy.dest}/`)) {
        return { copy, sourcePath: posix.join(sourceAbs, posix.relative(copy.dest, path)) };
      }
    }
  }
  return undefined;
}

export interface PnpmCall {
  workdir: string;
  filters: string[];
  /** The pnpm command and its arguments, global flags removed. */
  command: string[];
  /** Where it is written: `line 12`, or `<script> line 12`. */
  where: string;
}

/** Every pnpm invocation in RUN instructions (`pnpm ...` and `npx pnpm@x ...`), split on && ; ||. */
export function pnpmCalls(stage: Stage): PnpmCall[] {
  return instructions(stage, 'RUN').flatMap((run) => {
    const { words } = flagsAndWords(run.args); // drops RUN's own --mount flags
    return pnpmCallsIn(words.join(' '), run.workdir, `line ${run.line}`);
  });
}

/** The pnpm invocations of one shell command line run in `workdir`. */
export function pnpmCallsIn(commandLine: string, workdir: string, where: string): PnpmCall[] {
  const calls: PnpmCall[] = [];
  for (const part of commandLine.split(/&&|\|\||;/)) {
    const tokens = splitWords(part);
    const start = tokens.findIndex((t) => t === 'pnpm' || t.startsWith('pnpm@'));
    if (start === -1 || (start > 0 && !['npx', '-y', '--yes', 'exec'].includes(tokens[0]!))) continue;
    const filters: string[] = [];
    const command: string[] = [];
    for (let k = start + 1; k < tokens.length; k++) {
      const token = tokens[k]!;
      if (token === '--filter' || token === '-F') filters.push(tokens[++k]!);
      else if (token.startsWith('--filter=')) filters.push(token.slice('--filter='.length));
      else command.push(token);
    }
    calls.push({ workdir, filters, command, where });
  }
  return calls;
}

export interface Healthcheck {
  /** --interval, --timeout, --start-period, --retries, as written. */
  options: Record<string, string>;
  /** The exec form of its CMD. */
  argv: string[];
}

/** The stage's last HEALTHCHECK in exec form, or undefined for none, `NONE` or the shell form. */
export function healthcheckOf(stage: Stage): Healthcheck | undefined {
  const last = instructions(stage, 'HEALTHCHECK').at(-1);
  const match = last && /^((?:--[\w-]+=\S+\s+)*)CMD\s+(\[[\s\S]*\])$/.exec(last.args);
  const argv = match && execForm(match[2]!);
  if (!match || !argv) return undefined;
  const options = Object.fromEntries([...match[1]!.matchAll(/--([\w-]+)=(\S+)/g)].map((m) => [m[1]!, m[2]!]));
  return { options, argv };
}
