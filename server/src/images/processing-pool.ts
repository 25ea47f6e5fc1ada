import { performance } from 'node:perf_hooks';
import { RateLimitedError } from '../shared/errors.js';
import { lowerHelperThreadPriority } from './thread-priority.js';

/** `extensions.reason` of an upload refused because the pool cannot take more work. */
export const QUEUE_FULL = 'QUEUE_FULL';
export const QUEUE_FULL_MESSAGE = 'The image processing queue is full, try again shortly';

/** What started an image job: an upload, a first request for a missing thumbnail, or a background job. */
export type ImageJobTrigger = 'upload' | 'lazy' | 'background';

/** Sees how long jobs wait and run (the metrics hang here). */
export interface ProcessingObserver {
  waited(seconds: number): void;
  ran(trigger: ImageJobTrigger, seconds: number): void;
}

/**
 * Bounds the image work in flight. Decodes run on libuv's threads, so more jobs than cores only
 * raise latency and memory; a full queue refuses new work instead of letting memory grow.
 */
export class ProcessingPool {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(
    private readonly workers: number,
    private readonly queueLimit: number,
    private readonly observer?: ProcessingObserver,
  ) {}

  /** Runs job when a worker is free; throws RateLimitedError at once when the queue is full. */
  async run<T>(job: () => Promise<T>, trigger: ImageJobTrigger = 'upload'): Promise<T> {
    const queuedAt = performance.now();
    if (this.running >= this.workers) {
      if (this.waiting.length >= this.queueLimit) throw new RateLimitedError(QUEUE_FULL_MESSAGE, { reason: QUEUE_FULL });
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.running++;
    }
    const startedAt = performance.now();
    lowerHelperThreadPriority();
    this.observer?.waited((startedAt - queuedAt) / 1000);
    try {
      return await job();
    } finally {
      lowerHelperThreadPriority();
      this.observer?.ran(trigger, (performance.now() - startedAt) / 1000);
      const next = this.waiting.shift();
      // hand the slot straight to the next job, so running never dips and lets a newcomer jump the queue
      if (next) next();
      else this.running--;
    }
  }

  get stats(): { running: number; waiting: number } {
    return { running: this.running, waiting: this.waiting.length };
  }

  /** Jobs the pool holds at most: running plus waiting. */
  get capacity(): number {
    return this.workers + this.queueLimit;
  }

  /** True when `run` would refuse a job right now. */
  get isFull(): boolean {
    return this.running >= this.workers && this.waiting.length >= this.queueLimit;
  }
}
