import { describe, expect, test } from 'vitest';
import { rotateEach, rotationNotice } from './rotation';

describe(rotateEach.name, () => {
  test('rotates every image in order and counts them', async () => {
    const asked: string[] = [];

    const outcome = await rotateEach(['a', 'b', 'c'], async (id) => asked.push(id));

    expect(asked).toEqual(['a', 'b', 'c']);
    expect(outcome).toEqual({ rotated: 3, failures: [] });
  });

  test('goes on past an image that fails, and keeps why', async () => {
    const outcome = await rotateEach(['a', 'gone', 'c'], async (id) => {
      if (id === 'gone') throw new Error('Image not found');
    });

    expect(outcome).toEqual({ rotated: 2, failures: ['Image not found'] });
  });
});

describe(rotationNotice.name, () => {
  test.each([
    [{ rotated: 1, failures: [] }, { message: '1 image got new links', type: 'info' }],
    [{ rotated: 3, failures: [] }, { message: '3 images got new links', type: 'info' }],
    [{ rotated: 2, failures: ['Image not found'] }, { message: '2 images got new links; 1 image could not be rotated: Image not found', type: 'warning' }],
    [{ rotated: 0, failures: ['Image not found', 'Image not found'] }, { message: '2 images could not be rotated: Image not found', type: 'error' }],
  ])('%j → %j', (outcome, notice) => {
    expect(rotationNotice(outcome)).toEqual(notice);
  });
});
