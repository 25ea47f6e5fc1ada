import type { ByteRange } from '../storage/storage.js';

/**
 * Conditional and range requests on file links (RFC 9110 §13 and §14), as pure functions of the
 * request's headers and the representation's ETag and length. Our ETags are strong, and no answer
 * carries Last-Modified, so a date (If-Modified-Since, or If-Range with a date) never matches.
 */

export type RangeAnswer = { kind: 'whole' } | { kind: 'part'; range: ByteRange } | { kind: 'unsatisfiable' };

const WHOLE: RangeAnswer = { kind: 'whole' };
const UNSATISFIABLE: RangeAnswer = { kind: 'unsatisfiable' };

/**
 * Whether If-None-Match holds the body back (304): `*` (the link grants a file, so one exists), or a
 * list naming our tag, compared weakly (a `W/` prefix does not matter). A malformed list matches
 * nothing, so the client gets the whole answer.
 */
export function noneMatch(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  // the common case, a client sending back the one tag it was given, costs a string compare
  if (header === etag) return true;
  if (header.trim() === '*') return true;
  return opaqueTags(header)?.includes(etag) ?? false;
}

/**
 * What a GET gets of a file `size` bytes long: one range (206), nothing (416), or the whole (200).
 * Whole when there is no Range, for HEAD (GET is the only method ranges are defined for, RFC 9110
 * §14.2), when If-Range does not name this very file (its bytes must not be spliced onto another's),
 * and for anything but one byte range, which a server may always answer whole: other units,
 * malformed ranges, several ranges.
 */
export function rangeAnswer(method: string | undefined, range: string | undefined, ifRange: string | undefined, etag: string, size: number): RangeAnswer {
  if (method !== 'GET' || range === undefined) return WHOLE;
  // strong comparison: a weak tag or a date never matches (there is no Last-Modified to match)
  if (ifRange !== undefined && ifRange.trim() !== etag) return WHOLE;
  const spec = oneByteRange(range);
  if (!spec) return WHOLE;
  if ('suffix' in spec) {
    // the last n bytes; more than the file has is all of it, none is nothing
    return spec.suffix === 0 || size === 0 ? UNSATISFIABLE : { kind: 'part', range: { start: Math.max(0, size - spec.suffix), end: size - 1 } };
  }
  if (spec.first >= size) return UNSATISFIABLE;
  return { kind: 'part', range: { start: spec.first, end: Math.min(spec.last, size - 1) } };
}

/** `Content-Range` of a 206. */
export const contentRange = (range: ByteRange, size: number): string => `bytes ${range.start}-${range.end}/${size}`;

/** `Content-Range` of a 416: the length the client may ask within. */
export const unsatisfiedRange = (size: number): string => `bytes */${size}`;

type ByteRangeSpec = { first: number; last: number } | { suffix: number };

/** The one range of `bytes=first-[last]` or `bytes=-suffix`; undefined for anything else. */
function oneByteRange(header: string): ByteRangeSpec | undefined {
  const unit = header.indexOf('=');
  // range units compare case-insensitively (RFC 9110 §14.1)
  if (unit === -1 || header.slice(0, unit).toLowerCase() !== 'bytes') return undefined;
  // a list may hold empty elements (RFC 9110 §5.6.1), which count for nothing
  const specs = header
    .slice(unit + 1)
    .split(',')
    .map((spec) => spec.trim())
    .filter((spec) => spec !== '');
  if (specs.length !== 1) return undefined;
  const match = /^(?:(\d+)-(\d*)|-(\d+))$/.exec(specs[0]!);
  if (!match) return undefined;
  if (match[3] !== undefined) return { suffix: Number(match[3]) };
  const first = Number(match[1]);
  const last = match[2] === '' ? Infinity : Number(match[2]);
  // last before first makes the whole header invalid, and an invalid Range is ignored
  return last < first ? undefined : { first, last };
}

/** The opaque tags (quotes kept, `W/` dropped) of an entity-tag list, or undefined when it is not one. */
function opaqueTags(list: string): string[] | undefined {
  const tags: string[] = [];
  let at = 0;
  while (at < list.length) {
    const char = list[at];
    if (char === ',' || char === ' ' || char === '\t') {
      at++;
      continue;
    }
    if (list.startsWith('W/', at)) at += 2;
    // a tag is quoted and holds no quote, so a comma inside one is part of it
    const close = list[at] === '"' ? list.indexOf('"', at + 1) : -1;
    if (close === -1) return undefined;
    tags.push(list.slice(at, close + 1));
    at = close + 1;
    while (list[at] === ' ' || list[at] === '\t') at++;
    if (at < list.length && list[at] !== ',') return undefined;
  }
  return tags;
}
