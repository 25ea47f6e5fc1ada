import { describe, expect, it } from 'vitest';
import { AdmissionGate, type Admission, type AdmissionLimits, type Schedule } from './admission-gate.js';

/** Timers that fire only when the test moves time. */
class ManualTimers {
  private now = 0;
  private readonly timers = new Set<{ at: number; fn: () => void }>();
  readonly schedule: Schedule = (ms, fn) => {
    const timer = { at: this.now + ms, fn };
    this.timers.add(timer);
    return () => this.timers.delete(timer);
  };
  advance(ms: number): void {
    this.now += ms;
    for (const timer of [...this.timers].sort((a, b) => a.at - b.at)) {
      if (timer.at > this.now) break;
      this.timers.delete(timer);
      timer.fn();
    }
  }
  get pending(): number {
    return this.timers.size;
  }
}

const LIMITS: AdmissionLimits = { maxInFlight: 2, maxQueued: 2, queueTimeoutMs: 100, maxEventLoopDelayMs: 0 };

function setup(limits: Partial<AdmissionLimits> = {}, lagMs = () => 0) {
  const timers = new ManualTimers();
  const gate = new AdmissionGate({ ...LIMITS, ...limits }, lagMs, timers.schedule);
  return { gate, timers };
}

/** The outcome of a promise so far, without waiting for it. */
async function settled(admission: Admission | Promise<Admission>): Promise<Admission | 'waiting'> {
  return Promise.race([admission, new Promise<'waiting'>((done) => setImmediate(() => done('waiting')))]);
}

function admitted(admission: Admission | 'waiting'): () => void {
  if (admission === 'waiting' || !admission.admitted) throw new Error(`expected admission, got ${JSON.stringify(admission)}`);
  return admission.release;
}

describe(AdmissionGate.name, () => {
  it('admits up to maxInFlight at once, without a timer', async () => {
    const { gate, timers } = setup();
    admitted(await settled(gate.enter()));
    admitted(await settled(gate.enter()));
    expect(gate.stats).toEqual({ inFlight: 2, waiting: 0 });
    expect(timers.pending).toBe(0);
  });

  it('lets the next in line in, first come first served, when a request is released', async () => {
    const { gate, timers } = setup();
    const first = admitted(await settled(gate.enter()));
    admitted(await settled(gate.enter()));
    const second = gate.enter();
    const third = gate.enter();
    expect(await settled(second)).toBe('waiting');
    expect(gate.stats).toEqual({ inFlight: 2, waiting: 2 });
    first();
    admitted(await settled(second));
    expect(await settled(third)).toBe('waiting');
    expect(gate.stats).toEqual({ inFlight: 2, waiting: 1 });
    // the admitted waiter's timer is gone: it cannot be refused later
    expect(timers.pending).toBe(1);
  });

  it('refuses a waiter after queueTimeoutMs, and not before', async () => {
    const { gate, timers } = setup();
    admitted(await settled(gate.enter()));
    admitted(await settled(gate.enter()));
    const waiter = gate.enter();
    timers.advance(99);
    expect(await settled(waiter)).toBe('waiting');
    timers.advance(1);
    expect(await settled(waiter)).toEqual({ admitted: false, reason: 'queue-timeout' });
    expect(gate.stats).toEqual({ inFlight: 2, waiting: 0 });
  });

  it('refuses at once when the line is full', async () => {
    const { gate } = setup();
    admitted(await settled(gate.enter()));
    admitted(await settled(gate.enter()));
    void gate.enter();
    void gate.enter();
    expect(await settled(gate.enter())).toEqual({ admitted: false, reason: 'queue-full' });
  });

  it('with maxQueued 0, refuses everything over maxInFlight at once', async () => {
    const { gate } = setup({ maxQueued: 0 });
    admitted(await settled(gate.enter()));
    admitted(await settled(gate.enter()));
    expect(await settled(gate.enter())).toEqual({ admitted: false, reason: 'queue-full' });
  });

  it('takes a waiter whose client left out of line, so it holds no place and gets no slot', async () => {
    const { gate, timers } = setup();
    const first = admitted(await settled(gate.enter()));
    admitted(await settled(gate.enter()));
    const client = new AbortController();
    const leaving = gate.enter(client.signal);
    const staying = gate.enter();
    client.abort();
    expect(await settled(leaving)).toEqual({ admitted: false, reason: 'gone' });
    expect(gate.stats.waiting).toBe(1);
    first();
    admitted(await settled(staying));
    expect(timers.pending).toBe(0);
  });

  it('counts a release once, however often it is called', async () => {
    const { gate } = setup();
    const release = admitted(await settled(gate.enter()));
    release();
    release();
    expect(gate.stats.inFlight).toBe(0);
  });

  it('refuses new requests while the event loop lags more than maxEventLoopDelayMs, and admits again after', async () => {
    let lag = 0;
    const { gate } = setup({ maxEventLoopDelayMs: 50 }, () => lag);
    admitted(await settled(gate.enter()));
    lag = 51;
    expect(await settled(gate.enter())).toEqual({ admitted: false, reason: 'event-loop-delay' });
    lag = 50;
    admitted(await settled(gate.enter()));
  });

  it('ignores the lag when maxEventLoopDelayMs is 0', async () => {
    const { gate } = setup({ maxEventLoopDelayMs: 0 }, () => 10_000);
    admitted(await settled(gate.enter()));
  });
});
