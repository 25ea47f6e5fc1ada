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

/** A tier's quotas; null means no limit. */
export interface TierLimits {
  maxImages: number | null;
  maxBytes: number | null;
  uploadsPerHour: number | null;
}

/**
 * A quota as given: null (or left out) for no limit, else a whole number of at least 1. Zero is refused
 * rather than read as "no uploads at all": a tier that may store nothing is a mistake more often than
 * a wish. `maxBytes` arrives as a GraphQL Float, so whole and within what a double holds exactly.
 */
export function checkLimit(value: number | null | undefined, field: string): number | null {
  if (value === null || value === undefined) return null;
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new BadUserInputError(`A limit is a whole number of at least 1, or null for no limit; got ${value}`, { field });
  }
  return value;
}
