/** How many requests the process serves at once, and how long the rest may wait (see `Config.admission`). */
export interface AdmissionLimits {
  maxInFlight: number;
  maxQueued: number;
  queueTimeoutMs: number;
  /** 0: event-loop lag never refuses. */
  maxEventLoopDelayMs: number;
}

/** Why a request was not admitted; `gone` means the client left while it waited. */
export type Refusal = 'queue-full' | 'queue-timeout' | 'event-loop-delay' | 'gone';

export type Admission = { admitted: true; release: () => void } | { admitted: false; reason: Refusal };

/** Runs `fn` after `ms`; returns a function that cancels it. Injected, so tests move time by hand. */
export type Schedule = (ms: number, fn: () => void) => () => void;

const realSchedule: Schedule = (ms, fn) => {
  const timer = setTimeout(fn, ms);
  return () => clearTimeout(timer);
};

interface Waiter {
  admit(): void;
  refuse(reason: Refusal): void;
}

/**
 * Bounds the requests in flight. A request over the limit waits in line (first come, first served)
 * for at most `queueTimeoutMs`, then is refused: under overload the excess gets a quick "try again"
 * instead of waiting until the client gives up, and the work the process holds stays bounded.
 */
export class AdmissionGate {
  private inFlight = 0;
  // a Set keeps insertion order and deletes a waiter that leaves the middle of the line in O(1)
  private readonly waiting = new Set<Waiter>();

  constructor(
    private readonly limits: AdmissionLimits,
    /** The event loop's current lag in milliseconds. */
    private readonly eventLoopDelayMs: () => number = () => 0,
    private readonly schedule: Schedule = realSchedule,
  ) {}

  /** Admits now, after a wait, or not at all; `signal` aborting (the client left) takes it out of line. */
  enter(signal?: AbortSignal): Admission | Promise<Admission> {
    const now = this.enterNow();
    if (now) return now;
    if (signal?.aborted) return { admitted: false, reason: 'gone' };
    return new Promise<Admission>((resolve) => {
      const leave = () => {
        this.waiting.delete(waiter);
        cancelTimer();
        signal?.removeEventListener('abort', onAbort);
      };
      const waiter: Waiter = {
        admit: () => {
          leave();
          resolve(this.admit());
        },
        refuse: (reason) => {
          leave();
          resolve({ admitted: false, reason });
        },
      };
      const onAbort = () => waiter.refuse('gone');
      const cancelTimer = this.schedule(this.limits.queueTimeoutMs, () => waiter.refuse('queue-timeout'));
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.add(waiter);
    });
  }

  /** The answer when it needs no wait; undefined when the request would have to wait in line (call `enter`). */
  enterNow(): Admission | undefined {
    const maxDelay = this.limits.maxEventLoopDelayMs;
    if (maxDelay > 0 && this.eventLoopDelayMs() > maxDelay) return { admitted: false, reason: 'event-loop-delay' };
    if (this.inFlight < this.limits.maxInFlight && this.waiting.size === 0) return this.admit();
    if (this.waiting.size >= this.limits.maxQueued) return { admitted: false, reason: 'queue-full' };
    return undefined;
  }

  get stats(): { inFlight: number; waiting: number } {
    return { inFlight: this.inFlight, waiting: this.waiting.size };
  }

  private admit(): Admission {
    this.inFlight++;
    let released = false;
    return {
      admitted: true,
      release: () => {
        if (released) return;
        released = true;
        this.inFlight--;
        this.waiting.values().next().value?.admit();
      },
    };
  }
}
