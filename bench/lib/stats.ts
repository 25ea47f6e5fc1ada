/** A measured quantity: the median of its samples with their range. */
export interface Figure {
  median: number;
  min: number;
  max: number;
  n: number;
}

/** Median (mean of the middle two for an even count), min and max; throws on no samples, so a silent gap never reads as zero. */
export function summarize(samples: readonly number[]): Figure {
  if (samples.length === 0) throw new Error('no samples to summarize');
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { median, min: sorted[0]!, max: sorted.at(-1)!, n: sorted.length };
}

/** Ratio of two series measured round by round (A B A B): one ratio per round, then summarized. */
export function pairedRatio(product: readonly number[], anchor: readonly number[]): Figure {
  if (product.length !== anchor.length) throw new Error(`rounds differ: ${product.length} vs ${anchor.length}`);
  return summarize(product.map((value, i) => value / anchor[i]!));
}

export const mean = (values: readonly number[]): number => values.reduce((sum, v) => sum + v, 0) / values.length;

/** The value at quantile q (0..1) by nearest rank. */
export function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/** Round to a few significant digits for display: 1 234, 56.7, 0.123. */
export function fmt(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3;
  const text = value.toFixed(digits);
  return abs >= 10_000 ? Number(text).toLocaleString('en-US').replace(/,/g, ' ') : text;
}

export function fmtFigure(figure: Figure, unit = ''): string {
  const u = unit ? ` ${unit}` : '';
  if (figure.n === 1 || figure.min === figure.max) return `${fmt(figure.median)}${u}`;
  return `${fmt(figure.median)}${u} (${fmt(figure.min)}–${fmt(figure.max)})`;
}
