import type { ImageFormat } from '../images/image.entity.js';
import type { LinkGrant } from '../links/link-access.js';
import { variantName } from '../links/link-urls.js';
import { mediaTypeOf } from './accept.js';
import { downloadName, inlineDisposition } from './content-disposition.js';
import type { VariantFormat } from '../images/image-processor.js';

const CONTENT_TYPES: Record<ImageFormat, string> = { PNG: 'image/png', JPEG: 'image/jpeg' };

export const contentTypeOf = (format: ImageFormat): string => CONTENT_TYPES[format];

/**
 * On every answer of the link routes, refusals, 304s and preflights included. A browser must never
 * sniff or run what comes from here. Cross-origin, because links are made to be used by other
 * sites: embedded (`<img src>`), and read by their scripts (`fetch`, a canvas), which CORS allows to
 * any origin. A link carries its own authority and no credentials are involved, so never
 * Allow-Credentials; the headers a script may read are listed, past those CORS always shows.
 */
export const LINK_ROUTE_HEADERS = {
  'X-Content-Type-Options': 'nosniff',
  'Content-Security-Policy': "default-src 'none'; sandbox",
  'Cross-Origin-Resource-Policy': 'cross-origin',
  'Access-Control-Allow-Origin': '*',
  // a thumbnail's format follows the Accept header (AVIF, WebP, the upload's): a cache keys on it. On
  // every answer, refusals and originals included, as whether a link is a thumbnail's is known only later
  Vary: 'Accept',
  'Access-Control-Expose-Headers': 'ETag, Content-Disposition, Content-Range, Accept-Ranges, Content-Length, X-Request-Id, Retry-After',
} as const;

/** What methods the link routes answer (`Allow`). */
export const ALLOWED_METHODS = 'GET, HEAD, OPTIONS';

/**
 * The answer to a CORS preflight: a script on any origin may GET (or HEAD) a link with the headers
 * resuming and revalidating take. A day's max-age; browsers cap it lower (Chromium at two hours).
 */
export const PREFLIGHT_HEADERS = {
  Allow: ALLOWED_METHODS,
  'Access-Control-Allow-Methods': 'GET, HEAD',
  'Access-Control-Allow-Headers': 'Range, If-None-Match, If-Range, If-Modified-Since, X-Request-Id',
  'Access-Control-Max-Age': '86400',
} as const;

/** What every answer with the file carries, a 304 included; `format` when a thumbnail goes out in a negotiated one. */
export function fileHeaders({ image, variant, cacheControl }: LinkGrant, format?: VariantFormat) {
  const name = downloadName(image.filename, image.format, variant);
  return {
    'Content-Type': format ? mediaTypeOf(format) : CONTENT_TYPES[image.format],
    'Content-Disposition': inlineDisposition(format ? `${name.slice(0, name.lastIndexOf('.'))}.${format}` : name),
    'Cache-Control': cacheControl,
    // one validator per representation: a cache must never answer an AVIF request with a JPEG's 304
    ETag: format ? `"${image.id}-${variantName(variant)}-${format}"` : `"${image.id}-${variantName(variant)}"`,
    'Accept-Ranges': 'bytes',
  };
}
