import type { VariantFormat } from '../images/image-processor.js';

const MEDIA_TYPES: Record<VariantFormat, string> = { avif: 'image/avif', webp: 'image/webp' };
const Q = /;\s*q\s*=\s*([0-9.]+)/i;

/** The formats an Accept header lists by name with a weight above 0; wildcards name none. */
function listed(accept: string): Set<string> {
  const names = new Set<string>();
  for (const range of accept.split(',')) {
    const semicolon = range.indexOf(';');
    const type = (semicolon === -1 ? range : range.slice(0, semicolon)).trim().toLowerCase();
    if (type !== MEDIA_TYPES.avif && type !== MEDIA_TYPES.webp) continue;
    const weight = semicolon === -1 ? undefined : Q.exec(range.slice(semicolon))?.[1];
    // `q=0` means "not this one"; a malformed weight counts as listed, as the type is named
    if (weight === undefined || !(Number(weight) === 0)) names.add(type);
  }
  return names;
}

// browsers send a handful of distinct Accept headers: each is parsed once
const remembered = new Map<string, Set<string>>();
const REMEMBERED_MAX = 256;

/**
 * The format to send a thumbnail in: AVIF when the request's Accept header names `image/avif`,
 * otherwise WebP when it names `image/webp` (each only if offered and not weighted `q=0`), otherwise
 * undefined, the upload's own format. Browsers name the formats they decode; wildcards name none, so
 * curl and older browsers get the upload's format. Any header, of any length or shape, gives
 * an answer and never an error.
 */
export function negotiateFormat(accept: string | undefined, offered: readonly VariantFormat[]): VariantFormat | undefined {
  if (!accept || offered.length === 0) return undefined;
  let names = remembered.get(accept);
  if (!names) {
    names = listed(accept);
    if (remembered.size >= REMEMBERED_MAX) remembered.clear();
    if (accept.length <= 1024) remembered.set(accept, names);
  }
  return offered.find((format) => names.has(MEDIA_TYPES[format]));
}

export const mediaTypeOf = (format: VariantFormat): string => MEDIA_TYPES[format];
