import { readdirSync } from 'node:fs';
import { setPriority } from 'node:os';

/** Nice value of the helper threads: the scheduler gives the event loop ~10× their share when both want a core. */
const HELPER_NICE = 10;
const lowered = new Set<number>();

/**
 * Lowers the scheduling priority of every thread of this process but the main one (libuv's pool, where
 * sharp's jobs and file reads run, libvips' own workers, V8's helpers). Image work keeps every idle
 * core, but a request's JavaScript no longer waits behind decodes for its turn on a busy one: that wait
 * was what GraphQL and file latency grew by during uploads. Linux only (a thread id is a pid there);
 * elsewhere, and where the system refuses, it does nothing. Threads appear lazily, so call it again
 * whenever image work starts; a pass costs one small directory read.
 */
export function lowerHelperThreadPriority(): void {
  if (process.platform !== 'linux') return;
  let tids: string[];
  try {
    tids = readdirSync('/proc/self/task');
  } catch {
    return;
  }
  for (const entry of tids) {
    const tid = Number(entry);
    if (tid === process.pid || lowered.has(tid)) continue;
    lowered.add(tid);
    try {
      setPriority(tid, HELPER_NICE);
    } catch {
      // the thread ended between the listing and the call, or the system forbids it: nothing to do
    }
  }
  // thread ids are reused once threads end; forget the ones that are gone
  if (lowered.size > tids.length * 2) {
    const alive = new Set(tids.map(Number));
    for (const tid of lowered) if (!alive.has(tid)) lowered.delete(tid);
  }
}
