import { spawn, spawnSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { LoadResult, LoadTarget } from './load.ts';
import { aptInstall } from './apt.ts';

/** The load generator the HTTP throughput rows use: wrk from Debian, one thread, or autocannon when wrk cannot be had. */
export interface Generator {
  wrk?: string;
  version?: string;
  note: string;
  /** Kernel clock ticks per second, to turn wrk's own CPU time (from /proc) into a share of one core. */
  clockTicks: number;
}

function wrkVersion(binary: string): string | undefined {
  // `wrk -v` prints "wrk 4.1.0 [epoll] …" and exits 1
  const run = spawnSync(binary, ['-v'], { encoding: 'utf8' });
  return /^wrk (?:debian\/)?([\d.]+)/m.exec(`${run.stdout ?? ''}${run.stderr ?? ''}`)?.[1];
}

/**
 * Finds wrk; missing, and running as root, installs Debian's `wrk` with apt-get (quick mode too: CI's
 * `pnpm test` runs the quick bench on a fresh machine, and an autocannon figure there would measure
 * autocannon). Without it the rows fall back to autocannon, and the notes say so.
 */
export function findWrk(allowInstall: boolean): Generator {
  const clockTicks = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout?.trim()) || 100;
  const found = () => ['wrk', '/usr/bin/wrk'].map((wrk) => ({ wrk, version: wrkVersion(wrk) })).find((w) => w.version);
  let wrk = found();
  if (wrk) return { ...wrk, clockTicks, note: `wrk ${wrk.version}` };
  if (!allowInstall) return { clockTicks, note: 'wrk not installed (not root, so not installed by this run): autocannon in its place' };
  aptInstall('wrk');
  wrk = found();
  return wrk
    ? { ...wrk, clockTicks, note: `wrk ${wrk.version}, installed by this run (apt wrk)` }
    : { clockTicks, note: 'wrk could not be installed (apt-get install wrk failed): autocannon in its place' };
}

/** A Lua string literal for any text: printable ASCII as is, every other byte as a decimal escape. */
function lua(text: string): string {
  let out = '"';
  for (const byte of Buffer.from(text, 'utf8')) {
    const c = String.fromCharCode(byte);
    out += byte === 0x22 || byte === 0x5c ? `\\${c}` : byte >= 0x20 && byte < 0x7f ? c : `\\${byte}`;
  }
  return `${out}"`;
}

/**
 * The script for one target. A single request is left to wrk, which then formats it once; rotating
 * paths or bodies are formatted once each in init() and handed out in turn. done() prints one JSON
 * line with the counts, latency percentiles (µs) and wrk's own CPU ticks, read from /proc after its
 * thread has ended, so a row can say whether wrk or the server was the limit.
 */
export function wrkScript(target: LoadTarget): string {
  const lines = [`wrk.method = ${lua(target.method ?? 'GET')}`, `wrk.path = ${lua(target.path)}`];
  for (const [name, value] of Object.entries(target.headers ?? {})) lines.push(`wrk.headers[${lua(name)}] = ${lua(value)}`);
  if (target.body !== undefined) lines.push(`wrk.body = ${lua(target.body)}`);
  if (target.paths || target.bodies) {
    const list = (values: readonly string[] | undefined) => (values ? `{\n${values.map((v) => `  ${lua(v)},`).join('\n')}\n}` : '{}');
    lines.push(
      `local paths = ${list(target.paths)}`,
      `local bodies = ${list(target.bodies)}`,
      'local formatted, turn = {}, 0',
      'init = function(args)',
      '  for i = 1, math.max(#paths, #bodies) do',
      '    formatted[i] = wrk.format(nil, paths[(i - 1) % math.max(#paths, 1) + 1], nil, bodies[(i - 1) % math.max(#bodies, 1) + 1])',
      '  end',
      'end',
      'request = function()',
      '  turn = turn % #formatted + 1',
      '  return formatted[turn]',
      'end',
    );
  }
  lines.push(
    'done = function(summary, latency, requests)',
    '  local f = io.open("/proc/self/stat")',
    '  local stat = f:read("*a")',
    '  f:close()',
    '  local fields = {}',
    '  for field in stat:match("%) (.*)"):gmatch("%S+") do fields[#fields + 1] = field end',
    '  local e = summary.errors',
    '  io.write(string.format(\'WRK_JSON {"requests":%d,"duration_us":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,"p50_us":%d,"p99_us":%d,"cpu_ticks":%d}\\n\',',
    '    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,',
    '    latency:percentile(50), latency:percentile(99), tonumber(fields[12]) + tonumber(fields[13])))',
    'end',
  );
  return `${lines.join('\n')}\n`;
}

interface WrkSummary {
  requests: number;
  duration_us: number;
  connect: number;
  read: number;
  write: number;
  status: number;
  timeout: number;
  p50_us: number;
  p99_us: number;
  cpu_ticks: number;
}

let scripts = 0;

/**
 * Drives `target` with `wrk -t1 -cN` in its own process. wrk counts whole seconds only, so a shorter
 * window (quick mode) runs with -d1s and is ended by SIGINT on time; wrk then reports what it did in
 * the time it ran. Throws when more than 1 % of requests fail, as the autocannon driver does.
 */
export async function wrkLoad(
  generator: Generator & { wrk: string },
  scratchDir: string,
  target: LoadTarget,
  { seconds, connections, warmup }: { seconds: number; connections: number; warmup?: boolean },
): Promise<LoadResult> {
  await mkdir(scratchDir, { recursive: true });
  const script = join(scratchDir, `wrk-${++scripts}.lua`);
  await writeFile(script, wrkScript(target));
  const duration = Math.max(seconds, target.minSeconds ?? 0);
  const args = ['-t1', `-c${connections}`, `-d${Math.max(1, Math.ceil(duration))}s`, '--timeout', '10s', '-s', script, `${target.origin}/`];
  const child = spawn(generator.wrk, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
  const stop = duration % 1 ? setTimeout(() => child.kill('SIGINT'), duration * 1000) : undefined;
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  clearTimeout(stop);
  const line = /^WRK_JSON (.*)$/m.exec(out)?.[1];
  if (!line) throw new Error(`wrk ${args.join(' ')} exited ${code} without a summary:\n${out.slice(-1000)}`);
  const r = JSON.parse(line) as WrkSummary;
  const sockets = r.connect + r.read + r.write + r.timeout;
  const failed = r.status + (target.closesConnections ? r.timeout : sockets);
  const ok = r.requests - r.status;
  const name = `${target.method ?? 'GET'} ${target.origin}${target.path}`;
  if (!warmup && (ok <= 0 || failed > 0.01 * (ok + failed))) {
    throw new Error(`${name}: ${ok} ok, ${failed} failed under wrk (status ≥ 400: ${r.status}, socket errors ${sockets}, timeouts ${r.timeout})`);
  }
  if (target.settle) await new Promise((resolve) => setTimeout(resolve, target.settle! * 1000));
  const runSeconds = r.duration_us / 1e6;
  return {
    rps: ok / runSeconds,
    p50: r.p50_us / 1000,
    p99: r.p99_us / 1000,
    ok,
    failed,
    generatorCpu: r.cpu_ticks / generator.clockTicks / runSeconds,
  };
}
