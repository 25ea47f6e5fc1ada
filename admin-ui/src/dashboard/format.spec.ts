import { describe, expect, it } from 'vitest';
import type { AdminStatsRecord } from '../dataProvider/methods';
import { formatBytes, formatCount, inStepPercent, isRegenerating, refreshMs } from './format';

describe(formatBytes.name, () => {
  it('picks the unit that keeps the number readable', () => {
    expect(formatBytes(0)).toBe('0 bytes');
    expect(formatBytes(999)).toBe('999 bytes');
    expect(formatBytes(1500)).toBe('1.50 KB');
    expect(formatBytes(4_500_000_000_000)).toBe('4.50 TB');
    expect(formatBytes(123_456_789)).toBe('123.5 MB');
  });
});

describe('the dashboard’s refresh', () => {
  const stats = (queued: number, outOfStep: number, queue = 'thumbnail-sync') =>
    ({ jobs: { queued, running: 0, failed: 3, queues: [{ queue, queued, running: 0, failed: 3 }] }, tiers: [{ images: 10, imagesOutOfStep: outOfStep }] }) as unknown as AdminStatsRecord;

  it('refreshes every 2 s while jobs are queued or thumbnails are out of step, every 30 s otherwise', () => {
    expect(refreshMs(stats(1, 0))).toBe(2_000);
    expect(refreshMs(stats(0, 4))).toBe(2_000);
    expect(refreshMs(stats(0, 0))).toBe(30_000);
    expect(refreshMs(undefined)).toBe(30_000);
  });

  it('calls it regeneration only for thumbnail work: images out of step or sync jobs, not other queues', () => {
    expect(isRegenerating(stats(1, 0))).toBe(true);
    expect(isRegenerating(stats(0, 2))).toBe(true);
    expect(isRegenerating(stats(1, 0, 'location-backfill'))).toBe(false);
    expect(refreshMs(stats(1, 0, 'location-backfill'))).toBe(2_000);
  });

  it('counts with separators and shows progress as the share in step', () => {
    expect(formatCount(1234567)).toBe('1,234,567');
    expect(inStepPercent({ images: 4, imagesOutOfStep: 1 })).toBe(75);
    expect(inStepPercent({ images: 0, imagesOutOfStep: 0 })).toBe(100);
  });
});
