// `pnpm load [--seconds=N] [--factor=2] [--seed=N] [--env=NAME=VALUE] [--keep]`: the built server under a mixed load at
// `factor` × what this machine can serve (measured first, in a short closed-loop calibration), over
// loopback, then the holds: excess shed within a second, no OOM, nothing acknowledged lost, recovery
// within ten seconds. Writes reliability/results/load.{json,md}. Exits 1 when a hold is missed.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runLoad } from './lib/load-report.ts';
import { seedFrom } from './lib/random.ts';

const args = process.argv.slice(2);
const numberArg = (name: string, fallback: number) => {
  const value = args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
  return value === undefined ? fallback : Number(value);
};
const workDir = await mkdtemp(join(tmpdir(), 'reliability-load-'));
let missed = 1;
try {
  // `--env=NAME=VALUE` (repeatable) sets a server variable, to try a lever without editing anything
  const env = Object.fromEntries(args.filter((a) => a.startsWith('--env=')).map((a) => a.slice(6).split(/=(.*)/s).slice(0, 2) as [string, string]));
  missed = await runLoad(workDir, { seconds: numberArg('seconds', 60), factor: numberArg('factor', 2), seed: seedFrom(args), env });
} catch (error) {
  console.error(error);
} finally {
  if (args.includes('--keep') || missed) console.log(`scratch folder kept: ${workDir} (reliability-server.log, data/)`);
  else await rm(workDir, { recursive: true, force: true });
}
process.exit(missed ? 1 : 0);
