/**
 * Blanks the location properties of an XMP packet with spaces, so the packet keeps its length and
 * stays well-formed XML: an element goes with everything inside it, an attribute with its value.
 * Written as one forward scan, since packets are attacker-supplied and a backtracking pattern over
 * nested tags could be made to take seconds.
 */

/**
 * Local names that carry a place, in any namespace: the EXIF GPS properties (exif:GPSLatitude …,
 * drones' GpsLatitude …), Photoshop's and IPTC Core's city/state/country, and IPTC Extension's
 * LocationCreated/LocationShown structures.
 */
const LOCATION_NAME = /^(?:GPS\w*|Gps\w*|City|State|Country\w*|Location\w*|Sublocation|ProvinceState|WorldRegion|shotLocation\w*)$/;

const ATTRIBUTE = /\s([A-Za-z_][\w.-]*):([A-Za-z_][\w.-]*)\s*=\s*("[^"]*"|'[^']*')/g;

function isLocation(qualifiedName: string): boolean {
  const colon = qualifiedName.indexOf(':');
  return colon > 0 && LOCATION_NAME.test(qualifiedName.slice(colon + 1));
}

/** Where the tag opened at `start` ends (index of its `>`), quotes respected; -1 when it never does. */
function tagEnd(xml: string, start: number): number {
  let quote = '';
  for (let i = start + 1; i < xml.length; i++) {
    const c = xml[i]!;
    if (quote) {
      if (c === quote) quote = '';
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '>') return i;
  }
  return -1;
}

const SKIPPED = [
  ['<!--', '-->'],
  ['<![CDATA[', ']]>'],
  ['<?', '?>'],
  ['<!', '>'],
] as const;

/** The character ranges of `xml` that hold location properties, in order. */
export function locationRanges(xml: string): Array<[number, number]> {
  const ranges: Array<[number, number]> = [];
  let depth = 0;
  // while inside a location element: where it began and the depth it opened at
  let skipping: { start: number; depth: number } | undefined;
  for (let i = xml.indexOf('<'); i !== -1; i = xml.indexOf('<', i)) {
    const special = SKIPPED.find(([open]) => xml.startsWith(open, i));
    if (special) {
      const close = xml.indexOf(special[1], i + special[0].length);
      if (close === -1) break;
      i = close + special[1].length;
      continue;
    }
    const end = tagEnd(xml, i);
    if (end === -1) break;
    const closing = xml[i + 1] === '/';
    const selfClosing = xml[end - 1] === '/';
    const name = /^[^\s/>]+/.exec(xml.slice(closing ? i + 2 : i + 1, end))?.[0] ?? '';
    if (closing) {
      depth--;
      if (skipping && depth === skipping.depth) {
        ranges.push([skipping.start, end + 1]);
        skipping = undefined;
      }
    } else if (skipping) {
      if (!selfClosing) depth++;
    } else if (isLocation(name)) {
      if (selfClosing) ranges.push([i, end + 1]);
      else skipping = { start: i, depth: depth++ };
    } else {
      for (const match of xml.slice(i, end).matchAll(ATTRIBUTE)) {
        if (LOCATION_NAME.test(match[2]!)) ranges.push([i + match.index, i + match.index + match[0].length]);
      }
      if (!selfClosing) depth++;
    }
    i = end + 1;
  }
  // a location element the packet never closes: everything after its start goes
  if (skipping) ranges.push([skipping.start, xml.length]);
  return ranges;
}

/**
 * Blanks location properties of the packet in `bytes[start, end)` in place; false when it had none.
 * Read as latin1, one character per byte, so offsets are byte offsets and UTF-8 text passes untouched.
 */
export function blankXmpLocationInPlace(bytes: Buffer, start = 0, end = bytes.length): boolean {
  const ranges = locationRanges(bytes.toString('latin1', start, end));
  for (const [from, to] of ranges) bytes.fill(0x20, start + from, start + to);
  return ranges.length > 0;
}
