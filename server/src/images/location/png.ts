import { crc32, deflateSync, inflateSync } from 'node:zlib';
import { orientationOnlyTiff, stripGpsInPlace } from './tiff-gps.js';
import { blankXmpLocationInPlace } from './xmp.js';

const XMP_KEYWORD = 'XML:com.adobe.xmp';
/** ImageMagick's hex-encoded copies of EXIF, XMP and IPTC in text chunks: legacy, and nothing reads them for display. */
const RAW_PROFILE = /^Raw profile type (?:exif|app1|xmp|iptc|8bim)$/i;
/** A compressed XMP packet inflates to at most this; one that would be larger goes whole. */
const MAX_XMP_BYTES = 4 * 1024 * 1024;

/** What to put in a chunk's place: its data changed in place, new data, or nothing. */
type Edit = 'unchanged' | 'changed' | Buffer | null;

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(data, crc32(head.subarray(4))));
  return Buffer.concat([head, data, crc]);
}

function editExif(data: Buffer, orientation: number): Edit {
  try {
    return stripGpsInPlace(data) ? 'changed' : 'unchanged';
  } catch {
    return orientation === 1 ? null : orientationOnlyTiff(orientation);
  }
}

/** iTXt: keyword, NUL, compression flag and method, language tag, NUL, translated keyword, NUL, text. */
function editInternationalText(data: Buffer): Edit {
  const keywordEnd = data.indexOf(0);
  if (keywordEnd === -1 || data.toString('latin1', 0, keywordEnd) !== XMP_KEYWORD) return 'unchanged';
  const languageEnd = data.indexOf(0, keywordEnd + 3);
  const translatedEnd = languageEnd === -1 ? -1 : data.indexOf(0, languageEnd + 1);
  if (translatedEnd === -1) return null;
  const textAt = translatedEnd + 1;
  if (data[keywordEnd + 1] === 0) return blankXmpLocationInPlace(data, textAt) ? 'changed' : 'unchanged';
  let text: Buffer;
  try {
    text = inflateSync(data.subarray(textAt), { maxOutputLength: MAX_XMP_BYTES });
  } catch {
    return null;
  }
  if (!blankXmpLocationInPlace(text)) return 'unchanged';
  return Buffer.concat([data.subarray(0, textAt), deflateSync(text)]);
}

function editChunk(type: string, data: Buffer, orientation: number): Edit {
  if (type === 'eXIf') return editExif(data, orientation);
  if (type === 'iTXt') return editInternationalText(data);
  if (type === 'tEXt' || type === 'zTXt') {
    const keywordEnd = data.indexOf(0);
    return keywordEnd !== -1 && RAW_PROFILE.test(data.toString('latin1', 0, keywordEnd)) ? null : 'unchanged';
  }
  return 'unchanged';
}

/**
 * The PNG without location metadata, or undefined when it had none. Chunks are walked to IEND; the
 * image data chunks pass through untouched, and every chunk that changes gets its CRC again. Edits
 * that keep a chunk's length are made in `png` itself, which is then the result.
 * `orientation`: what the decoder read, kept when an unreadable eXIf chunk has to go.
 */
export function stripPngLocation(png: Buffer, orientation: number): Buffer | undefined {
  const pieces: Buffer[] = [];
  let copiedTo = 0;
  let changed = false;
  for (let offset = 8; offset + 12 <= png.length; ) {
    const length = png.readUInt32BE(offset);
    const type = png.toString('latin1', offset + 4, offset + 8);
    const end = offset + 12 + length;
    if (end > png.length || type === 'IEND') break;
    const data = png.subarray(offset + 8, offset + 8 + length);
    const edit = editChunk(type, data, orientation);
    if (edit === 'changed') {
      changed = true;
      png.writeUInt32BE(crc32(data, crc32(png.subarray(offset + 4, offset + 8))), offset + 8 + length);
    } else if (edit !== 'unchanged') {
      changed = true;
      pieces.push(png.subarray(copiedTo, offset));
      if (edit !== null) pieces.push(chunk(type, edit));
      copiedTo = end;
    }
    offset = end;
  }
  if (!changed) return undefined;
  if (copiedTo === 0) return png;
  pieces.push(png.subarray(copiedTo));
  return Buffer.concat(pieces);
}
