import { readFile, writeFile } from 'node:fs/promises';
import { ImageFormat } from '../image.entity.js';
import { stripJpegLocation } from './jpeg.js';
import { stripPngLocation } from './png.js';

/**
 * The file without the place it was taken at: the EXIF GPS directory, XMP location properties and
 * IPTC location fields go; the pixels, the orientation, the colour profile and the rest of the
 * metadata stay byte for byte. Undefined when the file carried no location. Edits that keep the
 * file's length are made in `bytes` itself, which is then what is returned.
 * `orientation`: the one the decoder read, kept should the file's EXIF be too broken to edit.
 */
export function stripLocation(bytes: Buffer, format: ImageFormat, orientation = 1): Buffer | undefined {
  return format === ImageFormat.JPEG ? stripJpegLocation(bytes, orientation) : stripPngLocation(bytes, orientation);
}

/** Strips the file in place; its new size, or undefined when it had no location and was left alone. */
export async function stripLocationFromFile(path: string, format: ImageFormat, orientation = 1): Promise<number | undefined> {
  const stripped = stripLocation(await readFile(path), format, orientation);
  if (!stripped) return undefined;
  await writeFile(path, stripped);
  return stripped.length;
}
