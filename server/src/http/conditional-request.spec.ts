import { describe, expect, it } from 'vitest';
import { contentRange, noneMatch, rangeAnswer, unsatisfiedRange } from './conditional-request.js';

const ETAG = '"3f2c-h200"';

describe(noneMatch.name, () => {
  it('matches the tag sent back as it was given, and nothing when there is no header', () => {
    expect(noneMatch(ETAG, ETAG)).toBe(true);
    expect(noneMatch(undefined, ETAG)).toBe(false);
    expect(noneMatch('"other"', ETAG)).toBe(false);
  });

  it('compares weakly: a W/ prefix does not matter (RFC 9110 §13.1.2)', () => {
    expect(noneMatch(`W/${ETAG}`, ETAG)).toBe(true);
    expect(noneMatch('W/"other"', ETAG)).toBe(false);
  });

  it('matches a list naming the tag anywhere, with or without spaces and empty elements', () => {
    expect(noneMatch(`"a", ${ETAG}, "b"`, ETAG)).toBe(true);
    expect(noneMatch(`"a",W/${ETAG}`, ETAG)).toBe(true);
    expect(noneMatch(`, ,"a" ,\t${ETAG} ,`, ETAG)).toBe(true);
    expect(noneMatch('"a", "b"', ETAG)).toBe(false);
  });

  it('reads a comma inside a quoted tag as part of it', () => {
    expect(noneMatch(`"x,${ETAG.slice(1)}`, ETAG)).toBe(false);
    expect(noneMatch(`"a,b", ${ETAG}`, ETAG)).toBe(true);
  });

  it('matches * (the link grants a file, so one exists)', () => {
    expect(noneMatch('*', ETAG)).toBe(true);
    expect(noneMatch(' * ', ETAG)).toBe(true);
  });

  it('matches nothing in a malformed header, so the client gets the whole answer', () => {
    for (const header of [ETAG.slice(0, -1), `${ETAG.slice(1, -1)}`, `${ETAG} junk`, `"a", *`, `w/${ETAG}`, `W/ ${ETAG}`, '']) {
      expect(noneMatch(header, ETAG), header).toBe(false);
    }
  });
});

describe(rangeAnswer.name, () => {
  const get = (range: string | undefined, size = 1000, ifRange?: string) => rangeAnswer('GET', range, ifRange, ETAG, size);
  const part = (start: number, end: number) => ({ kind: 'part', range: { start, end } });

  it('answers the whole without a Range header', () => {
    expect(get(undefined)).toEqual({ kind: 'whole' });
  });

  it('cuts first-last, first- and -suffix ranges, capped at the end', () => {
    expect(get('bytes=0-99')).toEqual(part(0, 99));
    expect(get('bytes=0-0')).toEqual(part(0, 0));
    expect(get('bytes=100-')).toEqual(part(100, 999));
    expect(get('bytes=990-5000')).toEqual(part(990, 999));
    expect(get('bytes=-100')).toEqual(part(900, 999));
    expect(get('bytes=-5000')).toEqual(part(0, 999));
    expect(get('bytes=999-999')).toEqual(part(999, 999));
  });

  it('reads the unit case-insensitively and allows spaces and empty elements around the one range', () => {
    expect(get('Bytes=0-9')).toEqual(part(0, 9));
    expect(get('bytes= 0-9 ,')).toEqual(part(0, 9));
  });

  it('finds a range that starts at or past the end, or an empty suffix, unsatisfiable', () => {
    expect(get('bytes=1000-')).toEqual({ kind: 'unsatisfiable' });
    expect(get('bytes=1000-2000')).toEqual({ kind: 'unsatisfiable' });
    expect(get('bytes=-0')).toEqual({ kind: 'unsatisfiable' });
    expect(get(`bytes=${'9'.repeat(400)}-`)).toEqual({ kind: 'unsatisfiable' });
  });

  it('answers several ranges, other units and malformed ones whole, as a server may', () => {
    for (const range of ['bytes=0-1,5-6', 'bytes=0-1, -5', 'items=0-1', 'bytes=5-1', 'bytes=a-b', 'bytes=-', 'bytes=', 'bytes 0-1', '=0-1', 'bytes=0x1-2', 'bytes=1.5-2']) {
      expect(get(range), range).toEqual({ kind: 'whole' });
    }
  });

  it('ignores Range on HEAD and every method but GET (RFC 9110 §14.2)', () => {
    expect(rangeAnswer('HEAD', 'bytes=0-9', undefined, ETAG, 1000)).toEqual({ kind: 'whole' });
    expect(rangeAnswer('HEAD', 'bytes=5000-', undefined, ETAG, 1000)).toEqual({ kind: 'whole' });
  });

  it('honours If-Range: our tag, compared strongly, keeps the range; anything else gets the whole', () => {
    expect(get('bytes=0-9', 1000, ETAG)).toEqual(part(0, 9));
    expect(get('bytes=0-9', 1000, ` ${ETAG} `)).toEqual(part(0, 9));
    for (const ifRange of ['"other"', `W/${ETAG}`, 'Wed, 21 Oct 2015 07:28:00 GMT', '']) {
      expect(get('bytes=0-9', 1000, ifRange), ifRange).toEqual({ kind: 'whole' });
    }
    // a failed If-Range never turns into a 416 either
    expect(get('bytes=5000-', 1000, '"other"')).toEqual({ kind: 'whole' });
  });
});

describe('Content-Range', () => {
  it('writes a part and an unsatisfied length as RFC 9110 §14.4 does', () => {
    expect(contentRange({ start: 0, end: 99 }, 1000)).toBe('bytes 0-99/1000');
    expect(unsatisfiedRange(1000)).toBe('bytes */1000');
  });
});
