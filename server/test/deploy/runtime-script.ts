import { posix } from 'node:path';
import { copies, flagsAndWords, instructions, pnpmCalls, pnpmCallsIn, type PnpmCall, type Stage } from './dockerfile.js';
import type { DockerfileModel } from './dockerfile-checks.js';

/** The shell script that builds the runtime folder (scripts/build-runtime.sh), run from the workspace root. */
export interface RuntimeScript {
  /** Its path in the repository. */
  path: string;
  text: string;
}

/** Where a Dockerfile runs the runtime script: the stage, and the folder the script builds there. */
export interface ScriptRun {
  stage: Stage;
  line: number;
  outDir: string;
}

/** The first RUN of the script at `scriptInImage` (directly or through bash/sh) with its folder argument. */
export function findScriptRun(stages: Stage[], scriptInImage: string): ScriptRun | undefined {
  return stages.flatMap((stage) =>
    instructions(stage, 'RUN').flatMap((run) => {
      const words = flagsAndWords(run.args).words.filter((word, i) => i > 0 || !['bash', 'sh'].includes(word));
      const runsScript = words[0] !== undefined && posix.resolve(run.workdir, words[0]) === scriptInImage;
      return runsScript && words[1] ? [{ stage, line: run.line, outDir: posix.resolve(run.workdir, words[1]) }] : [];
    }),
  )[0];
}

/** The script's pnpm calls, as run in `workdir` (the workspace root). */
export function scriptPnpmCalls(script: RuntimeScript, workdir: string): PnpmCall[] {
  return shellLines(script.text).flatMap(({ text, line }) => pnpmCallsIn(text, workdir, `${script.path} line ${line}`));
}

/**
 * Whether a build stage copies in the runtime script and runs it, the runtime stage copies nothing but
 * the folder it builds, and no pnpm call of the Dockerfile builds or deploys a package beside it.
 */
export function runtimeFolderProblems(model: DockerfileModel): string[] {
  const { script, scriptRun } = model;
  if (!scriptRun) return [`no RUN of ${script.path} <folder>`];
  const { stage, line, outDir } = scriptRun;
  const problems: string[] = [];
  const scriptInImage = posix.join(model.imageRoot, script.path);
  const copiedIn = ancestry(model.stages, stage)
    .flatMap(copies)
    .some((c) => !c.from && c.line < line && c.sources.some((source) => isWithin(script.path, posix.normalize(source).replace(/\/+$/, ''))) && isWithin(scriptInImage, c.dest));
  if (!copiedIn) problems.push(`line ${line}: ${script.path} is not copied into the stage before it runs`);
  for (const copy of copies(model.runtime)) {
    const outside = copy.from !== stage.name ? copy.sources : copy.sources.filter((source) => !isWithin(posix.resolve('/', source), outDir));
    problems.push(...outside.map((source) => `line ${copy.line}: the runtime stage copies ${source}${copy.from ? ` from ${copy.from}` : ''}, not from the runtime folder ${outDir}`));
  }
  for (const call of model.stages.flatMap(pnpmCalls)) {
    if (call.command[0] === 'deploy' || (call.command[0] === 'run' && call.command[1] === 'build')) {
      problems.push(`${call.where}: pnpm ${call.command.join(' ')} beside ${script.path}, which builds and deploys`);
    }
  }
  return problems;
}

/** Whether the runtime script deploys the server, and nothing else, without devDependencies. */
export function deployProblems(model: DockerfileModel): string[] {
  const deploys = model.pnpmCalls().filter((call) => call.command[0] === 'deploy');
  if (deploys.length !== 1) return [`${model.script.path} runs pnpm deploy ${deploys.length} times, not once`];
  const [deploy] = deploys as [PnpmCall];
  const problems: string[] = [];
  const targets = model.targetPackages(deploy.workdir, deploy.filters, problems, deploy.where);
  if (targets.join() !== 'server') problems.push(`${deploy.where}: deploys ${targets.join(', ') || 'nothing'}, not the server`);
  if (!deploy.command.includes('--prod') && !deploy.command.includes('-P')) problems.push(`${deploy.where}: deploy without --prod takes the devDependencies along`);
  return problems;
}

/** The command lines of a shell script: comments and blank lines dropped, continuation lines joined. */
export function shellLines(text: string): { text: string; line: number }[] {
  const lines: { text: string; line: number }[] = [];
  let pending = '';
  let startLine = 0;
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (pending === '' && (line === '' || line.startsWith('#'))) return;
    if (pending === '') startLine = index + 1;
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1)} `;
      return;
    }
    lines.push({ text: pending + line, line: startLine });
    pending = '';
  });
  return lines;
}

export function isWithin(path: string, folder: string): boolean {
  return path === folder || path.startsWith(`${folder}/`);
}

/** A stage and the stages it is built FROM. */
function ancestry(stages: Stage[], stage: Stage): Stage[] {
  const parent = stages.find((s) => s.name === stage.from && s !== stage);
  return parent ? [stage, ...ancestry(stages, parent)] : [stage];
}
