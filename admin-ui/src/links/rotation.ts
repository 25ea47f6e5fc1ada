export interface RotationOutcome {
  rotated: number;
  /** Why each image that failed did, in order. */
  failures: string[];
}

/**
 * Rotates the images one after another, one request each: an image deleted in the meantime fails alone
 * and the count stays true (aliased in one request, one failure would hide which others went through).
 */
export async function rotateEach(imageIds: readonly string[], rotate: (imageId: string) => Promise<unknown>): Promise<RotationOutcome> {
  const outcome: RotationOutcome = { rotated: 0, failures: [] };
  for (const imageId of imageIds) {
    try {
      await rotate(imageId);
      outcome.rotated++;
    } catch (error) {
      outcome.failures.push(error instanceof Error ? error.message : String(error));
    }
  }
  return outcome;
}

/** "1 image", "3 images". */
export const images = (count: number) => `${count} image${count === 1 ? '' : 's'}`;

/** What the admin is told afterwards: how many images got new links, and why any did not. */
export function rotationNotice({ rotated, failures }: RotationOutcome): { message: string; type: 'info' | 'warning' | 'error' } {
  const done = `${images(rotated)} got new links`;
  if (failures.length === 0) return { message: done, type: 'info' };
  const failed = `${images(failures.length)} could not be rotated: ${failures[0]}`;
  return rotated === 0 ? { message: failed, type: 'error' } : { message: `${done}; ${failed}`, type: 'warning' };
}
