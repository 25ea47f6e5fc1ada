import { BadUserInputError } from '../shared/errors.js';

export const MAX_HEIGHTS = 16;
export const MAX_HEIGHT = 4096;
export const MAX_TIER_NAME = 64;

export function checkTierName(name: string, field = 'input.name'): string {
  const clean = name.normalize('NFC').trim();
  if (clean.length === 0) throw new BadUserInputError('The name cannot be empty', { field });
  if (clean.length > MAX_TIER_NAME) throw new BadUserInputError(`The name can have at most ${MAX_TIER_NAME} characters`, { field });
  if (/[\p{Cc}\p{Cf}]/u.test(clean)) throw new BadUserInputError('The name cannot contain control characters', { field });
  return clean;
}

/** Returns the heights sorted ascending, or throws naming what is wrong. */
export function checkThumbnailHeights(heights: readonly number[], field = 'input.thumbnailHeights'): number[] {
  if (heights.length < 1 || heights.length > MAX_HEIGHTS) {
    throw new BadUserInputError(`A tier needs 1 to ${MAX_HEIGHTS} thumbnail heights`, { field });
  }
  for (const height of heights) {
    if (!Number.isInteger(height) || height < 1 || height > MAX_HEIGHT) {
      throw new BadUserInputError(`Thumbnail heights must be whole numbers from 1 to ${MAX_HEIGHT}, got ${height}`, { field });
    }
  }
  if (new Set(heights).size !== heights.length) throw new BadUserInputError('Thumbnail heights must not repeat', { field });
  return [...heights].sort((a, b) => a - b);
}
