import { readFileSync } from 'node:fs';
import { availableParallelism, cpus, release, totalmem } from 'node:os';
import sharp from 'sharp';

export interface Machine {
  cpu: string;
  cores: number;
  memoryGiB: number;
  os: string;
  kernel: string;
  node: string;
  sharp: string;
  postgres?: string;
  nginx?: string;
  django?: string;
  wrk?: string;
}

function distro(): string {
  try {
    return /^PRETTY_NAME="?([^"\n]+)"?/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

export function describeMachine(): Machine {
  return {
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    cores: availableParallelism(),
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    os: distro(),
    kernel: release(),
    node: process.version,
    sharp: `sharp ${sharp.versions.sharp} / libvips ${sharp.versions.vips}`,
  };
}

export const machineLine = (m: Machine): string =>
  `${m.cores} × ${m.cpu}, ${m.memoryGiB} GiB, ${m.os} (Linux ${m.kernel}); Node ${m.node}, ${m.sharp}` +
  `${m.postgres ? `, ${m.postgres}` : ''}${m.nginx ? `, nginx ${m.nginx}` : ''}${m.django ? `, Django ${m.django}` : ''}${m.wrk ? `, wrk ${m.wrk}` : ''}`;
