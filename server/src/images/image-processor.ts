import { open } from 'node:fs/promises';
import sharp, { type Metadata, type OutputInfo, type Sharp } from 'sharp';
import { BadUserInputError } from '../shared/errors.js';
import { ImageFormat } from './image.entity.js';
import { placeholderOf, type PlaceholderData } from './placeholder.js';

// Only JPEG and PNG decoders may ever see untrusted bytes: SVG, TIFF, HEIF, PDF and the rest stay off.
sharp.block({ operation: ['VipsForeignLoad'] });
sharp.unblock({ operation: ['VipsForeignLoadJpeg', 'VipsForeignLoadPng'] });
// every upload is decoded once and never again; libvips' operation cache would only hold memory
sharp.cache(false);

export type RejectReason = 'EMPTY' | 'UNSUPPORTED_FORMAT' | 'CORRUPT' | 'TOO_MANY_PIXELS' | 'TOO_LARGE';

const REJECT_MESSAGES: Record<RejectReason, string> = {
  EMPTY: 'The file is empty',
  UNSUPPORTED_FORMAT: 'Only PNG and JPEG images are accepted',
  CORRUPT: 'The image is corrupt or truncated',
  TOO_MANY_PIXELS: 'The image has too many pixels',
  TOO_LARGE: 'The file is too large',
};

export class ImageRejectedError extends BadUserInputError {
  constructor(reason: RejectReason, detail?: string) {
    super(detail ? `${REJECT_MESSAGES[reason]}: ${detail}` : REJECT_MESSAGES[reason], { reason });
  }
}

export interface ProbedImage {
  format: ImageFormat;
  /** After EXIF orientation. */
  width: number;
  height: number;
  /** The EXIF orientation the decoder read, 1 when none. */
  orientation: number;
}

export interface Thumbnail {
  height: number;
  data: Buffer;
}

export interface Dimensions {
  width: number;
  height: number;
}

/**
 * Size of the thumbnail for a tier height: that height, never more than the original's (no upscaling),
 * and the width that keeps the aspect ratio. Thumbnails are resized to exactly this, so the API can
 * report real pixels without opening any file.
 */
export function thumbnailDimensions(original: Dimensions, size: number): Dimensions {
  const height = Math.min(size, original.height);
  return { width: Math.max(1, Math.round((original.width * height) / original.height)), height };
}

const FORMATS: Record<string, ImageFormat> = { jpeg: ImageFormat.JPEG, png: ImageFormat.PNG };

/** Reads the header only: format from the bytes, pixel limit checked before anything is decoded. */
export async function probeImage(input: string | Buffer, maxPixels: number): Promise<ProbedImage> {
  let meta: Metadata;
  try {
    meta = await sharp(input, { limitInputPixels: maxPixels, failOn: 'error' }).metadata();
  } catch (error) {
    throw classify(error);
  }
  const format = meta.format ? FORMATS[meta.format] : undefined;
  if (!format) throw new ImageRejectedError('UNSUPPORTED_FORMAT');
  if (!meta.width || !meta.height) throw new ImageRejectedError('CORRUPT');
  if (meta.width * meta.height > maxPixels) throw new ImageRejectedError('TOO_MANY_PIXELS');
  if (format === ImageFormat.PNG && !(await reachesPngEnd(input))) throw new ImageRejectedError('CORRUPT', 'no IEND chunk');
  const orientation = meta.orientation ?? 1;
  const swapped = orientation >= 5;
  return { format, width: swapped ? meta.height : meta.width, height: swapped ? meta.width : meta.height, orientation };
}

/** Formats a thumbnail may also be sent in, besides the upload's own (format negotiation). */
export type VariantFormat = 'avif' | 'webp';
export const VARIANT_FORMATS: readonly VariantFormat[] = ['avif', 'webp'];

/**
 * Encoder settings, chosen by measurement on the bench photo's h400 (README, Performance): JPEG q80 as
 * the upload's format had it; AVIF q60 at effort 0 matches its SSIM at 0.70× the bytes and ~4× its
 * encode time (effort 1 costs 5–10× more for no gain at this size); WebP q80 at effort 2 matches it too.
 */
function encode(pipeline: Sharp, format: ImageFormat | VariantFormat): Sharp {
  if (format === 'avif') return pipeline.avif({ quality: 60, effort: 0 });
  if (format === 'webp') return pipeline.webp({ quality: 80, effort: 2 });
  return format === ImageFormat.PNG ? pipeline.png() : pipeline.jpeg({ quality: 80 });
}

export interface MadeThumbnails {
  thumbnails: Thumbnail[];
  /** Each height again in each of the `variants` formats asked for (PREGENERATE_FORMATS). */
  variants: Array<Thumbnail & { format: VariantFormat }>;
  /** Only when asked for: computed from the same decoded pixels. */
  placeholder?: PlaceholderData;
}

/**
 * Decodes the image once, applies its EXIF orientation, and derives every height from the largest one
 * (and, when asked, the placeholder). Output keeps the input's format (or takes `format`, for a
 * negotiated variant) and carries no metadata (sharp drops EXIF, GPS included, unless asked);
 * greyscale stays greyscale, alpha stays, and 16 bits per channel become 8. A corrupt or truncated file fails here, because the whole image is decoded.
 */
export async function makeThumbnails(
  input: string | Buffer,
  image: Dimensions & { format: ImageFormat },
  heights: readonly number[],
  maxPixels: number,
  { placeholder = false, format, variants = [] }: { placeholder?: boolean; format?: VariantFormat; variants?: readonly VariantFormat[] } = {},
): Promise<MadeThumbnails> {
  if (heights.length === 0 && !placeholder) return { thumbnails: [], variants: [] };
  // a placeholder is made from at least 100 px (what ThumbHash reads), whatever the heights
  const largest = thumbnailDimensions(image, Math.max(...heights, placeholder ? 100 : 1));
  let base: { data: Buffer; info: OutputInfo };
  try {
    const decoder = sharp(input, { limitInputPixels: maxPixels, failOn: 'error' });
    const { space, channels = 3, hasAlpha } = await decoder.metadata();
    const greyscale = space === 'b-w' || space === 'grey16' || channels <= 2;
    // sharp's b-w conversion drops alpha: grey with alpha is decoded as sRGBA and packed back below
    base = await decoder
      .rotate()
      .resize(largest.width, largest.height, { fit: 'fill' })
      .toColourspace(greyscale && !hasAlpha ? 'b-w' : 'srgb')
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    if (greyscale && hasAlpha && base.info.channels === 4) base = { data: greyWithAlpha(base.data), info: { ...base.info, channels: 2 } };
  } catch (error) {
    throw classify(error);
  }
  const raw = { raw: { width: base.info.width, height: base.info.height, channels: base.info.channels } };
  const sized = (height: number) => {
    const size = thumbnailDimensions(image, height);
    // raw pixels carry no colour space, and sharp would take one or two channels for sRGB
    let pipeline = base.info.channels <= 2 ? sharp(base.data, raw).toColourspace('b-w') : sharp(base.data, raw);
    if (size.width !== largest.width || size.height !== largest.height) pipeline = pipeline.resize(size.width, size.height, { fit: 'fill' });
    return pipeline;
  };
  const thumbnails = await Promise.all(heights.map(async (height) => ({ height, data: await encode(sized(height), format ?? image.format).toBuffer() })));
  const extra = await Promise.all(
    variants.flatMap((variant) => heights.map(async (height) => ({ height, format: variant, data: await encode(sized(height), variant).toBuffer() }))),
  );
  return { thumbnails, variants: extra, placeholder: placeholder ? await placeholderOf(base.data, base.info) : undefined };
}

/** Grey-and-alpha pixels from sRGBA ones whose three colour channels are equal: the first and the last of each four. */
function greyWithAlpha(rgba: Buffer): Buffer {
  const packed = Buffer.allocUnsafe(rgba.length / 2);
  for (let from = 0, to = 0; from < rgba.length; from += 4, to += 2) {
    packed[to] = rgba[from]!;
    packed[to + 1] = rgba[from + 3]!;
  }
  return packed;
}

const PNG_END = Buffer.from('0000000049454e44ae426082', 'hex');

/**
 * Whether the PNG's chunks lead to IEND. libpng decodes a PNG cut off after its last IDAT without a
 * word, so a file cut short in transit would otherwise be kept. Bytes after IEND are allowed.
 */
async function reachesPngEnd(input: string | Buffer): Promise<boolean> {
  const buffer = typeof input === 'string' ? undefined : input;
  const file = typeof input === 'string' ? await open(input, 'r') : undefined;
  const read = async (offset: number, length: number) =>
    buffer ? buffer.subarray(offset, offset + length) : (await file!.read(Buffer.alloc(length), 0, length, offset)).buffer;
  try {
    const size = buffer ? buffer.length : (await file!.stat()).size;
    // nearly every PNG ends with IEND; walking the chunks (thousands of 8 KB IDATs) is for the rest
    if (size >= 8 + PNG_END.length && (await read(size - PNG_END.length, PNG_END.length)).equals(PNG_END)) return true;
    // after the 8-byte signature, each chunk is length (4), type (4), data (length), CRC (4)
    for (let offset = 8; offset + 12 <= size; ) {
      const header = await read(offset, 8);
      if (header.toString('latin1', 4, 8) === 'IEND') return true;
      offset += 12 + header.readUInt32BE(0);
    }
    return false;
  } finally {
    await file?.close();
  }
}

function classify(error: unknown): ImageRejectedError {
  const message = error instanceof Error ? error.message : String(error);
  if (/empty/i.test(message)) return new ImageRejectedError('EMPTY');
  if (/pixel limit/i.test(message)) return new ImageRejectedError('TOO_MANY_PIXELS');
  if (/unsupported image format|is blocked|not a known file format/i.test(message)) return new ImageRejectedError('UNSUPPORTED_FORMAT');
  return new ImageRejectedError('CORRUPT');
}
