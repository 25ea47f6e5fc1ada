import { isUuid } from '../shared/ids.js';
import type { ImageFormat } from './image.entity.js';
import type { VariantFormat } from './image-processor.js';

export const extensionOf = (format: ImageFormat): 'png' | 'jpg' => (format === 'PNG' ? 'png' : 'jpg');

function shard(imageId: string): string {
  if (!isUuid(imageId)) throw new Error(`not an image id: ${imageId}`);
  // two hex characters spread images over 256 folders, so no folder grows to millions of entries
  return imageId.slice(0, 2);
}

/** Storage key of an image's original file. */
export function originalKey(imageId: string, format: ImageFormat): string {
  return `originals/${shard(imageId)}/${imageId}.${extensionOf(format)}`;
}

/** Folder holding every thumbnail of one image, so deleting an image removes all its derivatives at once. */
export function thumbnailPrefix(imageId: string): string {
  return `thumbnails/${shard(imageId)}/${imageId}/`;
}

/** Storage key of one thumbnail in a negotiated format, beside the thumbnail it was made for. */
export function variantKey(imageId: string, height: number, format: VariantFormat): string {
  if (!Number.isInteger(height) || height < 1) throw new Error(`not a thumbnail height: ${height}`);
  return `${thumbnailPrefix(imageId)}h${height}.${format}`;
}

/** Storage key of one thumbnail, by the tier height it was made for. */
export function thumbnailKey(imageId: string, height: number, format: ImageFormat): string {
  if (!Number.isInteger(height) || height < 1) throw new Error(`not a thumbnail height: ${height}`);
  return `${thumbnailPrefix(imageId)}h${height}.${extensionOf(format)}`;
}
