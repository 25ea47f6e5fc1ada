/**
 * A seeded PRNG (sfc32), so a failing fuzz run reproduces from the seed it prints. Math.random is
 * never used for anything a case depends on.
 */
export class Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  readonly seed: number;

  constructor(seed: number) {
    this.seed = seed;
    this.a = 0x9e3779b9;
    this.b = 0x243f6a88;
    this.c = 0xb7e15162;
    this.d = seed >>> 0;
    for (let i = 0; i < 15; i++) this.next();
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.a >>>= 0; this.b >>>= 0; this.c >>>= 0; this.d >>>= 0;
    const t = (this.a + this.b) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.d = (this.d + 1) | 0;
    const out = (t + this.d) | 0;
    this.c = (this.c + out) | 0;
    return (out >>> 0) / 4294967296;
  }

  /** Integer in [min, max], both included. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from an empty list');
    return items[this.int(0, items.length - 1)]!;
  }

  /** One of `choices`, chosen in proportion to its weight. */
  weighted<T>(choices: ReadonlyArray<readonly [T, number]>): T {
    const total = choices.reduce((sum, [, w]) => sum + w, 0);
    let r = this.next() * total;
    for (const [value, weight] of choices) {
      if ((r -= weight) < 0) return value;
    }
    return choices.at(-1)![0];
  }

  bytes(length: number): Buffer {
    const out = Buffer.alloc(length);
    for (let i = 0; i < length; i += 4) {
      const word = (this.next() * 4294967296) >>> 0;
      for (let k = 0; k < 4 && i + k < length; k++) out[i + k] = (word >>> (8 * k)) & 255;
    }
    return out;
  }

  /** A length skewed towards small values, reaching `max` only rarely: most bugs live near the edges. */
  length(max: number): number {
    return Math.min(max, Math.floor(Math.exp(this.next() * Math.log(max + 1))));
  }

  uuid(): string {
    const hex = this.bytes(16).toString('hex');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${'89ab'[this.int(0, 3)]}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
  }
}

/** The seed from `--seed=N`, or a fresh one to print. */
export function seedFrom(args: readonly string[]): number {
  const given = args.find((a) => a.startsWith('--seed='))?.slice('--seed='.length);
  if (given !== undefined) {
    const seed = Number(given);
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new Error(`--seed must be an integer 0..4294967295, got ${given}`);
    return seed;
  }
  return (Date.now() ^ (process.pid << 16)) >>> 0;
}
