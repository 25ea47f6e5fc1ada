import { describe, expect, test } from 'vitest';
import { describeLimits, formatBytes, validateLimit } from './limits';

describe(validateLimit.name, () => {
  test.each([
    ['an empty field (null)', null],
    ['no value yet', undefined],
    ['an empty string', ''],
    ['1', 1],
    ['a large whole number', 5_000_000_000],
    ['the largest a double holds exactly', Number.MAX_SAFE_INTEGER],
  ])('accepts %s', (_, value) => {
    expect(validateLimit(value)).toBeUndefined();
  });

  test.each([
    ['0', 0],
    ['a negative number', -1],
    ['a fraction', 1.5],
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['beyond what a double holds exactly', 2 ** 53],
    ['a numeric string', '10'],
  ])('refuses %s', (_, value) => {
    expect(validateLimit(value)).toBe('A whole number of at least 1, or empty for no limit');
  });
});

describe(formatBytes.name, () => {
  test.each([
    [0, '0 bytes'],
    [999, '999 bytes'],
    [1000, '1 KB'],
    [1_500_000, '1.5 MB'],
    [123_456_789, '123 MB'],
    [10_000_000_000, '10 GB'],
  ])('%d → %s', (bytes, text) => {
    expect(formatBytes(bytes)).toBe(text);
  });
});

describe(describeLimits.name, () => {
  test('names each limit set, or says none', () => {
    expect(describeLimits({ maxImages: null, maxBytes: null, uploadsPerHour: null })).toBe('none');
    expect(describeLimits({ maxImages: 1, maxBytes: 2_000_000_000, uploadsPerHour: 30 })).toBe('1 image · 2 GB · 30/h');
    expect(describeLimits({ maxImages: 100 })).toBe('100 images');
  });
});
