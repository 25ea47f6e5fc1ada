const MAX_FILENAME_BYTES = 255;

/**
 * The uploaded name, kept for display only (storage keys never use it): last path segment, NFC,
 * no control or bidi-override characters, at most 255 bytes of UTF-8.
 */
export function cleanFilename(name: string | undefined, fallbackExtension: string): string {
  let clean = (name ?? '')
    .normalize('NFC')
    .replace(/[\p{Cc}\p{Cf}\u2028\u2029]/gu, '')
    .split(/[\\/]/)
    .pop()!
    .trim();
  if (clean === '.' || clean === '..') clean = '';
  while (Buffer.byteLength(clean) > MAX_FILENAME_BYTES) clean = [...clean].slice(0, -1).join('');
  return clean || `image.${fallbackExtension}`;
}
