const MAX_FILENAME_BYTES = 255;

/**
 * HTML's multipart/form-data encoding escapes three characters of a filename, `"` as %22, CR as %0D
 * and LF as %0A (browsers and Node's FormData do; busboy hands the escapes on as they came). Only
 * these three are undone, as the encoders write them, so a `%41` the user typed stays `%41`.
 */
const FORM_ESCAPES: Record<string, string> = { '%22': '"', '%0D': '\r', '%0A': '\n' };

/**
 * The uploaded name, kept for display only (storage keys never use it): form escapes undone, last
 * path segment, NFC, no control or bidi-override characters, at most 255 bytes of UTF-8.
 */
export function cleanFilename(name: string | undefined, fallbackExtension: string): string {
  let clean = (name ?? '')
    .replace(/%(?:22|0D|0A)/g, (escape) => FORM_ESCAPES[escape]!)
    .normalize('NFC')
    .replace(/[\p{Cc}\p{Cf}\u2028\u2029]/gu, '')
    .split(/[\\/]/)
    .pop()!
    .trim();
  if (clean === '.' || clean === '..') clean = '';
  while (Buffer.byteLength(clean) > MAX_FILENAME_BYTES) clean = [...clean].slice(0, -1).join('');
  return clean || `image.${fallbackExtension}`;
}
