export const MAX_HEIGHTS = 16;
export const MAX_HEIGHT = 4096;

/** The server's rules for thumbnail heights, checked before saving; `undefined` when they hold. */
export function validateHeights(value: unknown): string | undefined {
  const heights = Array.isArray(value) ? (value as unknown[]) : [];
  if (heights.length === 0) return 'Add at least one height';
  if (heights.length > MAX_HEIGHTS) return `At most ${MAX_HEIGHTS} heights`;
  if (heights.some((h) => !Number.isInteger(h) || (h as number) < 1 || (h as number) > MAX_HEIGHT)) {
    return `Heights are whole numbers from 1 to ${MAX_HEIGHT}`;
  }
  if (new Set(heights).size !== heights.length) return 'Heights must not repeat';
  return undefined;
}

/** Why a typed value cannot be added to the list, or `undefined` if it can. */
export function checkNewHeight(text: string, current: readonly number[]): string | undefined {
  if (!/^\d+$/.test(text.trim())) return `Enter a whole number from 1 to ${MAX_HEIGHT}`;
  const height = Number(text);
  if (height < 1 || height > MAX_HEIGHT) return `Enter a whole number from 1 to ${MAX_HEIGHT}`;
  if (current.includes(height)) return `${height} is already in the list`;
  if (current.length >= MAX_HEIGHTS) return `At most ${MAX_HEIGHTS} heights`;
  return undefined;
}
