import { describe, expect, it } from 'vitest';
import { negotiateFormat } from './accept.js';

const BOTH = ['avif', 'webp'] as const;

describe(negotiateFormat.name, () => {
  it.each([
    ['Chrome', 'image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8', 'avif'],
    ['Firefox', 'image/avif,image/webp,image/png,image/svg+xml,image/*;q=0.8,*/*;q=0.5', 'avif'],
    ['Safari 17', 'image/webp,image/avif,image/jxl,image/heic,image/heic-sequence,video/*;q=0.8,image/png,image/svg+xml,image/*;q=0.8,*/*;q=0.5', 'avif'],
    ['Safari 13', 'image/png,image/svg+xml,image/*;q=0.8,video/*;q=0.8,*/*;q=0.5', undefined],
    ['an old Chrome', 'image/webp,image/apng,image/*,*/*;q=0.8', 'webp'],
    ['curl', '*/*', undefined],
    ['no header', undefined, undefined],
    ['AVIF refused with q=0', 'image/avif;q=0,image/webp', 'webp'],
    ['both refused', 'image/avif;q=0.0, image/webp; q=0', undefined],
    ['odd spacing and case', '  IMAGE/AVIF ; Q=0.5 ', 'avif'],
    ['a malformed weight', 'image/webp;q=banana', 'webp'],
    ['garbage', ';;;,,,===,image/;q=', undefined],
  ])('%s → %s', (_browser, accept, expected) => {
    expect(negotiateFormat(accept, BOTH)).toBe(expected);
  });

  it('offers only what THUMBNAIL_FORMATS lists', () => {
    expect(negotiateFormat('image/avif,image/webp', ['webp'])).toBe('webp');
    expect(negotiateFormat('image/avif,image/webp', [])).toBeUndefined();
  });

  it('answers a header of any length', () => {
    expect(negotiateFormat(`${'x/y;q=1,'.repeat(20_000)}image/webp`, BOTH)).toBe('webp');
  });
});
