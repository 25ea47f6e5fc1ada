import { withoutIptcLocation } from './iptc.js';
import { orientationOnlyTiff, stripGpsInPlace } from './tiff-gps.js';
import { blankXmpLocationInPlace } from './xmp.js';

const EXIF = Buffer.from('Exif\0\0', 'latin1');
const XMP = Buffer.from('http://ns.adobe.com/xap/1.0/\0', 'latin1');
const EXTENDED_XMP = Buffer.from('http://ns.adobe.com/xmp/extension/\0', 'latin1');
const PHOTOSHOP = Buffer.from('Photoshop 3.0\0', 'latin1');
const APP1 = 0xe1;
const APP13 = 0xed;
const START_OF_SCAN = 0xda;

/** What to put in a metadata segment's place: its bytes changed in place, new bytes, or nothing. */
type Edit = 'unchanged' | 'changed' | Buffer | null;

function segment(marker: number, payload: Buffer): Buffer {
  const header = Buffer.from([0xff, marker, 0, 0]);
  header.writeUInt16BE(payload.length + 2, 2);
  return Buffer.concat([header, payload]);
}

function editExif(payload: Buffer, orientation: number): Edit {
  try {
    return stripGpsInPlace(payload.subarray(EXIF.length)) ? 'changed' : 'unchanged';
  } catch {
    // unreadable: nothing of it can be vouched for, so only the orientation the decoder saw survives
    return orientation === 1 ? null : segment(APP1, Buffer.concat([EXIF, orientationOnlyTiff(orientation)]));
  }
}

function editIptc(payload: Buffer): Edit {
  try {
    const block = withoutIptcLocation(payload.subarray(PHOTOSHOP.length));
    return block ? segment(APP13, Buffer.concat([PHOTOSHOP, block])) : 'unchanged';
  } catch {
    return null;
  }
}

function editSegment(marker: number, payload: Buffer, orientation: number): Edit {
  if (marker === APP1 && payload.subarray(0, EXIF.length).equals(EXIF)) return editExif(payload, orientation);
  if (marker === APP1 && payload.subarray(0, XMP.length).equals(XMP)) return blankXmpLocationInPlace(payload, XMP.length) ? 'changed' : 'unchanged';
  // a packet split over segments cannot be read one segment at a time; it goes whole
  if (marker === APP1 && payload.subarray(0, EXTENDED_XMP.length).equals(EXTENDED_XMP)) return null;
  if (marker === APP13 && payload.subarray(0, PHOTOSHOP.length).equals(PHOTOSHOP)) return editIptc(payload);
  return 'unchanged';
}

/**
 * The JPEG without location metadata, or undefined when it had none. Only the segments before the
 * scan are read; the compressed image data after them is passed on as it is, so the pixels cannot
 * change. Edits that keep a segment's length are made in `jpeg` itself, which is then the result.
 * `orientation`: what the decoder read, kept when an unreadable Exif segment has to go.
 */
export function stripJpegLocation(jpeg: Buffer, orientation: number): Buffer | undefined {
  const pieces: Buffer[] = [];
  let copiedTo = 0;
  let changed = false;
  let offset = 2;
  while (offset + 4 <= jpeg.length) {
    if (jpeg[offset] !== 0xff) break;
    const marker = jpeg[offset + 1]!;
    // fill bytes before a marker
    if (marker === 0xff) {
      offset++;
      continue;
    }
    if (marker === START_OF_SCAN || (marker >= 0xd0 && marker <= 0xd9) || marker === 0x01) break;
    const end = offset + 2 + jpeg.readUInt16BE(offset + 2);
    if (end > jpeg.length) break;
    const edit = editSegment(marker, jpeg.subarray(offset + 4, end), orientation);
    if (edit !== 'unchanged') changed = true;
    if (edit === null || Buffer.isBuffer(edit)) {
      pieces.push(jpeg.subarray(copiedTo, offset));
      if (edit) pieces.push(edit);
      copiedTo = end;
    }
    offset = end;
  }
  if (!changed) return undefined;
  // every edit kept its segment's length: the bytes given are the answer, with no copy of the scan
  if (copiedTo === 0) return jpeg;
  pieces.push(jpeg.subarray(copiedTo));
  return Buffer.concat(pieces);
}
