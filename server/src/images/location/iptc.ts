/**
 * IPTC location fields inside a Photoshop image-resource block (a JPEG's APP13 segment after its
 * "Photoshop 3.0\0" signature), removed by rebuilding the block: IPTC datasets have lengths, not
 * offsets, so dropping some leaves the rest intact.
 */

const IPTC_RESOURCE = 0x0404;
/** An MD5 of the IPTC data; a changed IPTC block makes it wrong, so it goes too (as exiftool does). */
const IPTC_DIGEST_RESOURCE = 0x0425;
/** Record 2 datasets that name a place: content location code and name, city, sub-location, province or state, country code and name. */
const LOCATION_DATASETS = new Set([26, 27, 90, 92, 95, 100, 101]);

export class MalformedIptcError extends Error {}

interface Resource {
  id: number;
  /** The resource header up to its size field: signature, id and padded Pascal name. */
  header: Buffer;
  data: Buffer;
}

function readResources(block: Buffer): Resource[] {
  const resources: Resource[] = [];
  let offset = 0;
  while (offset < block.length) {
    if (offset + 12 > block.length || block.toString('latin1', offset, offset + 4) !== '8BIM') throw new MalformedIptcError('not an image resource');
    const id = block.readUInt16BE(offset + 4);
    const nameLength = block[offset + 6]!;
    const sizeAt = offset + 6 + ((nameLength + 2) & ~1);
    if (sizeAt + 4 > block.length) throw new MalformedIptcError('resource header out of bounds');
    const size = block.readUInt32BE(sizeAt);
    const dataAt = sizeAt + 4;
    if (dataAt + size > block.length) throw new MalformedIptcError('resource data out of bounds');
    resources.push({ id, header: block.subarray(offset, sizeAt), data: block.subarray(dataAt, dataAt + size) });
    offset = dataAt + size + (size & 1);
  }
  return resources;
}

/** The IPTC datasets without those of LOCATION_DATASETS; undefined when none were there. */
function withoutLocationDatasets(iptc: Buffer): Buffer | undefined {
  const kept: Buffer[] = [];
  let removed = false;
  let offset = 0;
  while (offset < iptc.length) {
    // trailing padding after the last dataset
    if (iptc[offset] === 0) break;
    if (iptc[offset] !== 0x1c || offset + 5 > iptc.length) throw new MalformedIptcError('not an IPTC dataset');
    const record = iptc[offset + 1]!;
    const dataset = iptc[offset + 2]!;
    let size = iptc.readUInt16BE(offset + 3);
    let dataAt = offset + 5;
    if (size & 0x8000) {
      // extended dataset: the low bits say how many bytes the real length takes
      const lengthBytes = size & 0x7fff;
      if (lengthBytes < 1 || lengthBytes > 4 || dataAt + lengthBytes > iptc.length) throw new MalformedIptcError('bad extended length');
      size = iptc.readUIntBE(dataAt, lengthBytes);
      dataAt += lengthBytes;
    }
    const next = dataAt + size;
    if (next > iptc.length) throw new MalformedIptcError('dataset out of bounds');
    if (record === 2 && LOCATION_DATASETS.has(dataset)) removed = true;
    else kept.push(iptc.subarray(offset, next));
    offset = next;
  }
  return removed ? Buffer.concat(kept) : undefined;
}

function writeResource({ header, data }: Resource): Buffer {
  const size = Buffer.alloc(4);
  size.writeUInt32BE(data.length);
  return Buffer.concat(data.length & 1 ? [header, size, data, Buffer.alloc(1)] : [header, size, data]);
}

/**
 * The block without IPTC location datasets; undefined when it had none. Throws MalformedIptcError for
 * a block that cannot be read, which the caller drops whole rather than pass on unchecked.
 */
export function withoutIptcLocation(block: Buffer): Buffer | undefined {
  const resources = readResources(block);
  let changed = false;
  const rebuilt = resources.map((resource) => {
    if (resource.id !== IPTC_RESOURCE) return resource;
    const data = withoutLocationDatasets(resource.data);
    if (!data) return resource;
    changed = true;
    return { ...resource, data };
  });
  if (!changed) return undefined;
  return Buffer.concat(rebuilt.filter((resource) => resource.id !== IPTC_DIGEST_RESOURCE).map(writeResource));
}
