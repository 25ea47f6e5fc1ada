import type { AdminStatsRecord } from '../dataProvider/methods';

const UNITS = ['bytes', 'KB', 'MB', 'GB', 'TB', 'PB'];
const whole = new Intl.NumberFormat('en-US');

/** Bytes in the largest unit that keeps the number at 1 or more (1000s, as disks are sold): "4.5 GB". */
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < UNITS.length - 1) {
    value /= 1000;
    unit++;
  }
  return unit === 0 ? `${bytes} bytes` : `${value.toFixed(value < 10 ? 2 : 1)} ${UNITS[unit]}`;
}

/** A count as the dashboard prints it: "1,234,567". */
export const formatCount = (n: number): string => whole.format(n);

/** Work is under way: jobs queued or running, or thumbnails not yet made for their tier. */
export function isBusy(stats: AdminStatsRecord | undefined): boolean {
  if (!stats) return false;
  return stats.jobs.queued + stats.jobs.running > 0 || stats.tiers.some((tier) => tier.imagesOutOfStep > 0);
}

export const THUMBNAIL_SYNC_QUEUE = 'thumbnail-sync';

/** Thumbnails are being made or removed for a tier: images out of step, or sync jobs waiting or running. */
export function isRegenerating(stats: AdminStatsRecord): boolean {
  const sync = stats.jobs.queues.find((queue) => queue.queue === THUMBNAIL_SYNC_QUEUE);
  return stats.tiers.some((tier) => tier.imagesOutOfStep > 0) || (sync ? sync.queued + sync.running > 0 : false);
}

/** Seconds between refreshes: often while work runs, so an admin watches a regeneration finish; rarely otherwise. */
export const refreshMs = (stats: AdminStatsRecord | undefined): number => (isBusy(stats) ? 2_000 : 30_000);

/** Share of a tier's images whose thumbnails match its heights, 0–100. */
export const inStepPercent = (tier: { images: number; imagesOutOfStep: number }): number =>
  tier.images === 0 ? 100 : Math.round(((tier.images - tier.imagesOutOfStep) / tier.images) * 100);
