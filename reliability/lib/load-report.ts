import { mkdir, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { gql, login } from './api.ts';
import { newAgent, send } from './http.ts';
import { closedLoop, idleProbeMs, openLoop, recovery, type Sample } from './load-run.ts';
import { Random } from './random.ts';
import { MB, memoryBreakdown, settledRss, startServer, tail, watchRss } from './server.ts';
import { ms, quantile } from './stats.ts';
import { KINDS, photoJpeg, prepareWorkload, type Kind, type Workload } from './workload.ts';

/** Share of each kind in the mix, per "unit" of work: one upload per 4 lists, 20 thumbnail GETs and 4 links. */
const MIX: Record<Kind, number> = { upload: 1, list: 4, thumbnail: 20, link: 4 };
const CALIBRATION_CONCURRENCY: Record<Kind, number> = { upload: 4, list: 8, thumbnail: 16, link: 8 };
const SHED_WITHIN_MS = 1000;
const RECOVER_WITHIN_S = 10;

interface KindFigures {
  sent: number;
  notSent: number;
  ok: number;
  shed: number;
  errors: number;
  timeouts: number;
  answers: Record<string, number>;
  okP50: number;
  okP99: number;
  shedP50: number;
  shedP99: number;
  /** Answers of any kind that took longer than SHED_WITHIN_MS. */
  slowerThan1s: number;
  maxMs: number;
}

function figures(samples: readonly Sample[], notSent: number): KindFigures {
  const by = (verdict: string) => samples.filter((s) => s.verdict === verdict);
  const answers: Record<string, number> = {};
  for (const s of samples) answers[s.answer] = (answers[s.answer] ?? 0) + 1;
  const ok = by('ok').map((s) => s.ms);
  const shed = by('shed').map((s) => s.ms);
  return {
    sent: samples.length,
    notSent,
    ok: ok.length,
    shed: shed.length,
    errors: by('error').length,
    timeouts: by('timeout').length,
    answers,
    okP50: quantile(ok, 0.5),
    okP99: quantile(ok, 0.99),
    shedP50: quantile(shed, 0.5),
    shedP99: quantile(shed, 0.99),
    slowerThan1s: samples.filter((s) => s.ms > SHED_WITHIN_MS).length,
    maxMs: Math.max(0, ...samples.map((s) => s.ms)),
  };
}

/** Median ms of each step, over the answers slower than SHED_WITHIN_MS: where a slow answer's time went. */
function slowPhases(samples: readonly Sample[]) {
  const slow = samples.filter((s) => s.ms > SHED_WITHIN_MS && s.phases);
  const step = (of: (p: NonNullable<Sample['phases']>, ms: number) => number | undefined) =>
    quantile(slow.map((s) => of(s.phases!, s.ms)).filter((v): v is number => v !== undefined && Number.isFinite(v)), 0.5);
  return {
    count: slow.length,
    newConnections: slow.filter((s) => s.phases!.connected !== undefined).length,
    waitSocket: step((p) => p.socket),
    connect: step((p) => (p.connected === undefined ? undefined : p.connected - (p.socket ?? 0))),
    send: step((p) => (p.sent === undefined ? undefined : Math.max(0, p.sent - (p.connected ?? p.socket ?? 0)))),
    waitHeaders: step((p) => (p.headers === undefined ? undefined : p.headers - Math.min(p.sent ?? p.headers, p.headers))),
    readBody: step((p, ms) => (p.headers === undefined ? undefined : ms - p.headers)),
  };
}

/** Every acknowledged upload is listed for its owner and its thumbnail is served. */
async function verifyAcknowledged(origin: string, work: Workload, acknowledged: ReadonlySet<string>): Promise<{ listed: number; served: number; missing: string[]; unserved: string[] }> {
  const urls = new Map<string, string>();
  for (const user of work.uploaders) {
    let after: string | null = null;
    do {
      const answer: any = await gql(origin, 'query($after: String) { images(first: 100, after: $after) { pageInfo { hasNextPage endCursor } edges { node { id thumbnails { size url } } } } }', { after }, user.token);
      if (answer.errors) throw new Error(`listing failed: ${JSON.stringify(answer.errors)}`);
      for (const edge of answer.data.images.edges) urls.set(edge.node.id, edge.node.thumbnails[0]?.url);
      after = answer.data.images.pageInfo.hasNextPage ? answer.data.images.pageInfo.endCursor : null;
    } while (after);
  }
  const missing = [...acknowledged].filter((id) => !urls.has(id));
  const unserved: string[] = [];
  const agent = newAgent(4);
  const queue = [...acknowledged].filter((id) => urls.has(id));
  await Promise.all(Array.from({ length: 4 }, async () => {
    for (let id = queue.pop(); id; id = queue.pop()) {
      const url = new URL(urls.get(id)!);
      const response = await send(origin, agent, { method: 'GET', path: url.pathname + url.search, headers: {} }, 30_000);
      if (response.status !== 200) unserved.push(`${id} (${response.status})`);
    }
  }));
  agent.destroy();
  return { listed: acknowledged.size - missing.length, served: acknowledged.size - missing.length - unserved.length, missing, unserved };
}

export async function runLoad(workDir: string, options: { seconds: number; factor: number; seed: number; env?: Record<string, string> }): Promise<number> {
  const log = (message: string) => console.error(`[load] ${message}`);
  const rng = new Random(options.seed);
  const server = await startServer(workDir, options.env);
  const watch = watchRss(server.pid, 100);
  try {
    const adminToken = await login(server.origin, server.admin.username, server.admin.password);
    const photo = await photoJpeg(2000, 1500);
    const work = await prepareWorkload(server, adminToken, photo);
    log(`server up (pid ${server.pid}); ${work.listerImageIds.length} images to list; upload body ${(photo.length / 1024).toFixed(0)} KB JPEG 2000×1500`);
    const agent = newAgent(4096);
    const idleMs = await idleProbeMs(server, work);
    const normalMs = Math.max(3 * idleMs, 50);
    const baselineRss = await settledRss(server.pid, 5);

    // calibration: what each kind sustains alone, then the mix's capacity if their costs add up
    const capacity = {} as Record<Kind, number>;
    const calibration: Sample[] = [];
    for (const kind of KINDS) {
      const seconds = 4;
      const samples = await closedLoop(server, agent, work, kind, CALIBRATION_CONCURRENCY[kind], seconds, rng);
      calibration.push(...samples);
      capacity[kind] = samples.filter((s) => s.verdict === 'ok').length / seconds;
      log(`calibration ${kind}: ${capacity[kind].toFixed(1)}/s at ${CALIBRATION_CONCURRENCY[kind]} in flight`);
    }
    const unitsPerSecond = 1 / KINDS.reduce((sum, k) => sum + MIX[k] / capacity[k], 0);
    const rates = Object.fromEntries(KINDS.map((k) => [k, options.factor * unitsPerSecond * MIX[k]])) as Record<Kind, number>;
    log(`mix capacity ≈ ${unitsPerSecond.toFixed(1)} units/s; driving ${options.factor}×: ${KINDS.map((k) => `${k} ${rates[k].toFixed(1)}/s`).join(', ')} for ${options.seconds} s`);

    const loadStart = performance.now();
    // the generator shares the cores: its own lag is time its clients' latencies include
    const generatorLag = monitorEventLoopDelay({ resolution: 10 });
    generatorLag.enable();
    const run = await openLoop(server, agent, work, rates, options.seconds, rng, 2000);
    const stoppedAt = performance.now();
    generatorLag.disable();
    log(`load generator's event-loop delay during the run: p50 ${(generatorLag.percentile(50) / 1e6).toFixed(0)} ms, p99 ${(generatorLag.percentile(99) / 1e6).toFixed(0)} ms, max ${(generatorLag.max / 1e6).toFixed(0)} ms`);
    log(`load stopped; ${run.samples.length} answered so far; probing for recovery`);
    const recovered = await recovery(server, work, normalMs, stoppedAt, 60);
    await run.pending;
    const drainedSeconds = (performance.now() - stoppedAt) / 1000;
    const acknowledged = new Set(run.samples.map((s) => s.uploadedId).filter((id): id is string => Boolean(id)));
    const verified = await verifyAcknowledged(server.origin, work, acknowledged);
    const afterRss = await settledRss(server.pid, 10);
    const breakdown = await memoryBreakdown(server);
    const alive = server.alive();
    agent.destroy();
    const peakRss = watch.stop();
    const exit = await server.stop();

    const perKind = Object.fromEntries(KINDS.map((k) => [k, figures(run.samples.filter((s) => s.kind === k), run.notSent[k])])) as Record<Kind, KindFigures>;
    const shedding = KINDS.filter((k) => perKind[k].shed > 0);
    const holds = [
      { hold: 'process alive through the run, clean exit (never OOM-killed)', ok: alive && exit === 0, detail: `alive ${alive}, exit ${exit}, peak RSS ${(peakRss / MB).toFixed(0)} MB` },
      ...KINDS.map((k) => ({
        // the issue asks that the excess be shed within a second: the 429/503 answers, not the requests
        // served (an upload served under 2x load may well take longer, and is reported as it is)
        hold: `${k}: excess shed within ${SHED_WITHIN_MS} ms (p99 of the 429/503 answers; no connection errors, none unanswered)`,
        ok: perKind[k].shedP99 <= SHED_WITHIN_MS && perKind[k].timeouts === 0 && perKind[k].errors === 0,
        detail: `${perKind[k].ok} served, ${perKind[k].shed} shed (p99 ${ms(perKind[k].shedP99)}), ${perKind[k].errors} errors, ${perKind[k].timeouts} unanswered after 30 s, ${perKind[k].slowerThan1s} slower than 1 s, max ${ms(perKind[k].maxMs)}`,
      })),
      { hold: 'nothing acknowledged lost: every upload answered with an id is listed and its thumbnail served', ok: verified.missing.length === 0 && verified.unserved.length === 0, detail: `${acknowledged.size} acknowledged, ${verified.listed} listed, ${verified.served} served${verified.missing.length ? `; missing ${verified.missing.slice(0, 3).join(', ')}` : ''}${verified.unserved.length ? `; unserved ${verified.unserved.slice(0, 3).join(', ')}` : ''}` },
      { hold: `recovers within ${RECOVER_WITHIN_S} s: list + thumbnail probe both 200 within ${ms(normalMs)} (3× idle p90, ≥ 50 ms)`, ok: recovered.seconds !== undefined && recovered.seconds <= RECOVER_WITHIN_S, detail: recovered.seconds === undefined ? `not recovered after 60 s (last probe ${ms(recovered.lastMs)})` : `${recovered.seconds.toFixed(1)} s after the load stopped, ${recovered.probes} probes` },
    ];

    const machine = { cores: availableParallelism(), cpu: cpus()[0]?.model ?? 'unknown', memoryGb: +(totalmem() / 1024 ** 3).toFixed(1), node: process.version };
    const result = {
      date: new Date().toISOString(),
      machine,
      seed: options.seed,
      env: options.env ?? {},
      factor: options.factor,
      seconds: options.seconds,
      uploadJpegBytes: photo.length,
      capacity,
      mix: MIX,
      rates,
      idleProbeMs: idleMs,
      perKind,
      memory: { baselineRss, peakRss, afterRss, breakdown },
      recovery: { ...recovered, drainedSeconds },
      acknowledged: { count: acknowledged.size, ...verified },
      holds,
      shedding,
      slowPhases: Object.fromEntries(KINDS.map((k) => [k, slowPhases(run.samples.filter((s) => s.kind === k))])),
      serverErrors: tail(server.logFile, 5),
      loadSeconds: (stoppedAt - loadStart) / 1000,
    };
    const md = toMarkdown(result);
    console.log(md);
    const dir = join(import.meta.dirname, '..', 'results');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'load.json'), `${JSON.stringify(result, null, 2)}\n`);
    await writeFile(join(dir, 'load.md'), md);
    const missed = holds.filter((h) => !h.ok).length;
    console.log(`load: ${holds.length - missed} held, ${missed} missed`);
    return missed;
  } finally {
    watch.stop();
    await server.stop();
  }
}

function toMarkdown(r: any): string {
  const mb = (b: number) => `${(b / MB).toFixed(0)} MB`;
  const lines = [
    `# pnpm load: ${r.factor}× overload (${r.date})`,
    '',
    `Machine: ${r.machine.cores} cores (${r.machine.cpu}), ${r.machine.memoryGb} GB, Node ${r.machine.node}; server and load generator share it, over loopback. Seed ${r.seed}. Server settings: ${Object.keys(r.env).length ? Object.entries(r.env).map(([k, v]) => `${k}=${v}`).join(' ') : 'defaults'}.`,
    '',
    `Calibration (closed loop, 4 s each): ${KINDS.map((k) => `${k} ${r.capacity[k].toFixed(1)}/s`).join(', ')}. Mix per unit: ${KINDS.map((k) => `${r.mix[k]} ${k}`).join(', ')}.`,
    `Driven for ${r.loadSeconds.toFixed(0)} s at ${r.factor}× the mix's capacity (open loop): ${KINDS.map((k) => `${k} ${r.rates[k].toFixed(1)}/s`).join(', ')}. Uploads are ${(r.uploadJpegBytes / 1024).toFixed(0)} KB 2000×1500 JPEGs.`,
    '',
    '| kind | sent | served | shed | errors | unanswered | served p50 | served p99 | shed p50 | shed p99 | > 1 s | max | answers |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...KINDS.map((k) => {
      const f = r.perKind[k] as KindFigures;
      return `| ${k} | ${f.sent} | ${f.ok} | ${f.shed} | ${f.errors} | ${f.timeouts} | ${ms(f.okP50)} | ${ms(f.okP99)} | ${ms(f.shedP50)} | ${ms(f.shedP99)} | ${f.slowerThan1s} | ${ms(f.maxMs)} | ${Object.entries(f.answers).map(([a, n]) => `${a}: ${n}`).join('; ')} |`;
    }),
    '',
    'Where the answers slower than 1 s spent their time (median ms of each step; a new connection is one the agent had to open):',
    '',
    '| kind | slow answers | on new connections | wait for a socket | TCP connect | send request | wait for headers | read body |',
    '|---|---|---|---|---|---|---|---|',
    ...KINDS.map((k) => {
      const p = r.slowPhases[k];
      return `| ${k} | ${p.count} | ${p.newConnections} | ${ms(p.waitSocket)} | ${ms(p.connect)} | ${ms(p.send)} | ${ms(p.waitHeaders)} | ${ms(p.readBody)} |`;
    }),
    '',
    `Memory (server RSS): baseline ${mb(r.memory.baselineRss)}, peak ${mb(r.memory.peakRss)}, after ${mb(r.memory.afterRss)}; ${r.memory.breakdown}.`,
    `Recovery: ${r.recovery.seconds === undefined ? 'none within 60 s' : `${r.recovery.seconds.toFixed(1)} s`} after the load stopped (probe: list + thumbnail within ${ms(Math.max(3 * r.idleProbeMs, 50))}; idle p90 ${ms(r.idleProbeMs)}); requests still in flight drained after ${r.recovery.drainedSeconds.toFixed(1)} s.`,
    '',
    '| hold | result | detail |',
    '|---|---|---|',
    ...r.holds.map((h: any) => `| ${h.hold} | ${h.ok ? 'PASS' : 'MISS'} | ${h.detail} |`),
    '',
  ];
  return lines.join('\n');
}
