/**
 * Removes the GPS IFD from a TIFF structure (the body of a JPEG's Exif segment or of a PNG's eXIf
 * chunk) in place, without moving a byte of anything else: every other tag, the orientation among
 * them, keeps its offset, so no pointer elsewhere in the file needs rewriting. The GPS pointer leaves
 * IFD0's entry list, and the GPS directory and every value it points at are zeroed.
 */

const GPS_POINTER = 0x8825;
const ORIENTATION = 0x0112;
/** Bytes per value of each TIFF field type; unknown types count as 1, so their values are still found. */
const TYPE_SIZES: Record<number, number> = { 1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4 };

export class MalformedTiffError extends Error {}

interface Reader {
  u16(offset: number): number;
  u32(offset: number): number;
  w16(offset: number, value: number): void;
  w32(offset: number, value: number): void;
}

function reader(tiff: Buffer): Reader {
  const order = tiff.toString('latin1', 0, 4);
  if (order === 'II*\0') {
    return { u16: (o) => tiff.readUInt16LE(o), u32: (o) => tiff.readUInt32LE(o), w16: (o, v) => tiff.writeUInt16LE(v, o), w32: (o, v) => tiff.writeUInt32LE(v, o) };
  }
  if (order === 'MM\0*') {
    return { u16: (o) => tiff.readUInt16BE(o), u32: (o) => tiff.readUInt32BE(o), w16: (o, v) => tiff.writeUInt16BE(v, o), w32: (o, v) => tiff.writeUInt32BE(v, o) };
  }
  throw new MalformedTiffError('not a TIFF header');
}

interface Directory {
  offset: number;
  count: number;
  /** Offset of the next-IFD pointer, right after the entries. */
  end: number;
}

function directoryAt(tiff: Buffer, read: Reader, offset: number): Directory {
  if (offset < 8 || offset + 2 > tiff.length) throw new MalformedTiffError('directory out of bounds');
  const count = read.u16(offset);
  const end = offset + 2 + count * 12;
  if (end + 4 > tiff.length) throw new MalformedTiffError('directory entries out of bounds');
  return { offset, count, end };
}

/** Whether the structure has a GPS IFD; throws MalformedTiffError when IFD0 cannot be read. */
export function hasGps(tiff: Buffer): boolean {
  const read = reader(tiff);
  return findEntry(tiff, read, directoryAt(tiff, read, read.u32(4)), GPS_POINTER) !== undefined;
}

function findEntry(tiff: Buffer, read: Reader, directory: Directory, tag: number): number | undefined {
  for (let i = 0; i < directory.count; i++) {
    const entry = directory.offset + 2 + i * 12;
    if (read.u16(entry) === tag) return entry;
  }
  return undefined;
}

/**
 * Strips the GPS IFD in place; false when there was none. Throws MalformedTiffError when IFD0 itself
 * cannot be read, so the caller can drop the structure rather than pass on what it could not check.
 * A GPS directory that points outside the structure is not followed: the pointer still goes.
 */
export function stripGpsInPlace(tiff: Buffer): boolean {
  const read = reader(tiff);
  const ifd0 = directoryAt(tiff, read, read.u32(4));
  const pointer = findEntry(tiff, read, ifd0, GPS_POINTER);
  if (pointer === undefined) return false;
  zeroDirectory(tiff, read, read.u32(pointer + 8));
  // the entries after the pointer move up one place; the next-IFD offset follows them
  tiff.copy(tiff, pointer, pointer + 12, ifd0.end + 4);
  tiff.fill(0, ifd0.end - 8, ifd0.end + 4);
  read.w16(ifd0.offset, ifd0.count - 1);
  return true;
}

function zeroDirectory(tiff: Buffer, read: Reader, offset: number): void {
  let directory: Directory;
  try {
    directory = directoryAt(tiff, read, offset);
  } catch {
    return;
  }
  for (let i = 0; i < directory.count; i++) {
    const entry = directory.offset + 2 + i * 12;
    const bytes = (TYPE_SIZES[read.u16(entry + 2)] ?? 1) * read.u32(entry + 4);
    if (bytes <= 4) continue;
    const at = read.u32(entry + 8);
    // values kept outside the structure, or overlapping its header, are not ours to zero
    if (at >= 8 && at + bytes <= tiff.length) tiff.fill(0, at, at + bytes);
  }
  tiff.fill(0, directory.offset, directory.end + 4);
}

/** A little-endian TIFF structure with IFD0 holding only an orientation: what remains of unreadable EXIF. */
export function orientationOnlyTiff(orientation: number): Buffer {
  const tiff = Buffer.alloc(8 + 2 + 12 + 4);
  tiff.write('II*\0', 0, 'latin1');
  tiff.writeUInt32LE(8, 4);
  tiff.writeUInt16LE(1, 8);
  tiff.writeUInt16LE(ORIENTATION, 10);
  tiff.writeUInt16LE(3, 12);
  tiff.writeUInt32LE(1, 14);
  tiff.writeUInt16LE(orientation, 18);
  return tiff;
}
