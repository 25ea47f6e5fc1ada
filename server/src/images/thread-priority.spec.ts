import { readdirSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { lowerHelperThreadPriority } from './thread-priority.js';

/** Nice value of one thread of this process, from /proc (field 19 of stat, after the parenthesised name). */
function niceOf(tid: string): number {
  const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
}

describe.runIf(process.platform === 'linux')(lowerHelperThreadPriority.name, () => {
  it('lowers every thread but the main one, which keeps its priority', async () => {
    // make libuv start its pool, where sharp's jobs run
    await Promise.all(Array.from({ length: 8 }, () => readFile(import.meta.filename)));
    const mainBefore = niceOf(String(process.pid));
    lowerHelperThreadPriority();
    const helpers = readdirSync('/proc/self/task').filter((tid) => tid !== String(process.pid));
    expect(helpers.length).toBeGreaterThan(0);
    for (const tid of helpers) expect(niceOf(tid), `thread ${tid}`).toBeGreaterThanOrEqual(10);
    expect(niceOf(String(process.pid))).toBe(mainBefore);
  });
});
