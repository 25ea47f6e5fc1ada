import { describe, expect, test } from 'vitest';
import { checkNewHeight, validateHeights } from './heights';

const sixteen = Array.from({ length: 16 }, (_, i) => (i + 1) * 100);

describe(validateHeights.name, () => {
  test.each([
    ['one height', [300]],
    ['the smallest and largest', [1, 4096]],
    ['sixteen distinct heights', sixteen],
  ])('accepts %s', (_, heights) => {
    expect(validateHeights(heights)).toBeUndefined();
  });

  test.each([
    ['an empty list', []],
    ['no value yet', undefined],
    ['null', null],
    ['a single number instead of a list', 300],
    ['a string instead of a list', '300'],
  ])('asks for at least one height given %s', (_, value) => {
    expect(validateHeights(value)).toBe('Add at least one height');
  });

  test.each([
    ['0', [0]],
    ['4097', [300, 4097]],
    ['1.5', [1.5]],
    ['a negative height', [-100]],
    ['a numeric string', ['300']],
    ['NaN', [Number.NaN]],
    ['Infinity', [Number.POSITIVE_INFINITY]],
    ['null', [null]],
  ])('refuses %s', (_, heights) => {
    expect(validateHeights(heights)).toBe('Heights are whole numbers from 1 to 4096');
  });

  test('refuses a repeated height', () => {
    expect(validateHeights([100, 300, 100])).toBe('Heights must not repeat');
  });

  test('refuses a seventeenth height', () => {
    expect(validateHeights([...sixteen, 1700])).toBe('At most 16 heights');
  });
});

describe(checkNewHeight.name, () => {
  test.each([
    ['300', []],
    ['1', [300]],
    ['4096', [300]],
    ['  300 ', [100]],
    ['0300', [100]],
  ])('lets %j be added to %j', (text, current) => {
    expect(checkNewHeight(text, current)).toBeUndefined();
  });

  test.each(['0', '4097', '99999999999999999999', '1.5', '-5', '+5', '1e3', '0x10', 'abc', '12px', '', '   '])(
    'refuses %j',
    (text) => {
      expect(checkNewHeight(text, [])).toBe('Enter a whole number from 1 to 4096');
    },
  );

  test('refuses a height already in the list, however it is typed', () => {
    expect(checkNewHeight('300', [100, 300])).toBe('300 is already in the list');
    expect(checkNewHeight(' 0300 ', [100, 300])).toBe('300 is already in the list');
  });

  test('refuses a seventeenth height', () => {
    expect(checkNewHeight('1700', sixteen)).toBe('At most 16 heights');
  });
});
