import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocationBackfill } from '../../src/images/location/location-backfill.js';
import { ensureExiftool, exiftoolRead, exiftoolWrite } from '../support/exiftool.js';
import { BUILTIN_TIER_IDS, TestServer, type TestUser } from '../support/test-server.js';

// Shared originals carry no location (issue 14), checked on files exiftool wrote the way cameras and
// phones do: GPS in EXIF, and the place again in XMP and IPTC. Every original a link serves, permanent
// or expiring, loses the place and keeps its pixels, orientation, colour profile and other tags.

const PLACE = ['-GPSLatitude=48.8584', '-GPSLatitudeRef=N', '-GPSLongitude=2.2945', '-GPSLongitudeRef=E', '-GPSAltitude=35', '-XMP-exif:GPSLatitude=48.8584', '-XMP-exif:GPSLongitude=2.2945', '-XMP-photoshop:City=Paris'];
const OTHER_TAGS = ['-Orientation#=6', '-Artist=Ann Example', '-Make=Canon', '-XMP-dc:Title=Tower'];
const LOCATION_TAG = /GPS|City|Country|Location|Sub-?location|Province|State/i;

const base = (channels: 3 | 4) => sharp({ create: { width: 96, height: 64, channels, background: channels === 3 ? '#c84' : '#48c8' } }).withIccProfile('p3');
let cameraJpeg: Buffer;
let phonePng: Buffer;

const locationTags = (tags: Record<string, unknown>) => Object.keys(tags).filter((key) => LOCATION_TAG.test(key.split(':')[1] ?? ''));
const pixels = (data: Buffer) => sharp(data).raw().toBuffer();

let server: TestServer;
let owner: TestUser;
beforeAll(async () => {
  ensureExiftool();
  cameraJpeg = await exiftoolWrite(await base(3).jpeg().toBuffer(), 'jpg', [...PLACE, ...OTHER_TAGS, '-IPTC:City=Paris', '-IPTC:Country-PrimaryLocationName=France', '-IPTC:Keywords=tower']);
  phonePng = await exiftoolWrite(await base(4).png().toBuffer(), 'png', [...PLACE, ...OTHER_TAGS]);
  server = await TestServer.start();
  owner = await server.createUser({ tierId: BUILTIN_TIER_IDS.enterprise });
});
afterAll(() => server?.stop());

async function upload(on: TestServer, who: TestUser, name: string, data: Buffer): Promise<{ id: string; bytes: number; originalUrl: string }> {
  const result = await on.upload(who.token, [{ name, data }], { selection: 'id bytes originalUrl' });
  expect(result.errors, JSON.stringify(result.errors)).toBeUndefined();
  return result.data.uploadImage;
}

async function download(on: TestServer, link: string): Promise<Buffer> {
  const { pathname, search } = new URL(link);
  const response = await fetch(`${on.url}${pathname}${search}`);
  expect(response.status).toBe(200);
  return Buffer.from(await response.arrayBuffer());
}

async function expiringUrl(imageId: string): Promise<string> {
  const result = await server.gql(`mutation($id: ID!) { createExpiringLink(imageId: $id, expiresIn: 600) { url } }`, { id: imageId }, owner.token);
  expect(result.errors).toBeUndefined();
  return result.data.createExpiringLink.url;
}

describe.each([
  { kind: 'a camera JPEG (EXIF GPS, XMP, IPTC)', name: 'tower.jpg', file: () => cameraJpeg },
  { kind: 'a PNG with an eXIf chunk and XMP', name: 'tower.png', file: () => phonePng },
])('$kind', ({ name, file }) => {
  it('carries its place before upload, as exiftool wrote it', () => {
    expect(locationTags(exiftoolRead(file()))).toEqual(expect.arrayContaining(['GPS:GPSLatitude', 'XMP-exif:GPSLatitude', 'XMP-photoshop:City']));
  });

  it('is served without it through permanent and expiring links, pixels and other tags intact', async () => {
    const uploaded = file();
    const image = await upload(server, owner, name, uploaded);
    const before = exiftoolRead(uploaded);
    for (const link of [image.originalUrl, await expiringUrl(image.id)]) {
      const served = await download(server, link);
      expect(served.length).toBe(image.bytes);
      const tags = exiftoolRead(served);
      expect(locationTags(tags)).toEqual([]);
      expect(tags.Warning).toBeUndefined();
      for (const kept of ['IFD0:Orientation', 'IFD0:Artist', 'IFD0:Make', 'XMP-dc:Title', 'ICC_Profile:ProfileDescription']) {
        expect(before[kept], kept).toBeDefined();
        expect(tags[kept], kept).toEqual(before[kept]);
      }
      expect(tags['IFD0:Orientation']).toBe(6);
      expect(await pixels(served)).toEqual(await pixels(uploaded));
    }
  });
});

it('keeps IPTC fields that are not places', async () => {
  const image = await upload(server, owner, 'tower.jpg', cameraJpeg);
  expect(exiftoolRead(await download(server, image.originalUrl))['IPTC:Keywords']).toBe('tower');
});

describe('ORIGINAL_LOCATION=keep', () => {
  let keeping: TestServer;
  let keeper: TestUser;
  beforeAll(async () => {
    keeping = await TestServer.start({ env: { ORIGINAL_LOCATION: 'keep' } });
    keeper = await keeping.createUser({ tierId: BUILTIN_TIER_IDS.premium });
  });
  afterAll(() => keeping?.stop());

  it('serves originals byte for byte as uploaded', async () => {
    const image = await upload(keeping, keeper, 'tower.jpg', cameraJpeg);
    expect(await download(keeping, image.originalUrl)).toEqual(cameraJpeg);
  });

  it('leaves them for the backfill, which strips what was stored before stripping was on, once', async () => {
    const image = await upload(keeping, keeper, 'tower.png', phonePng);
    const [row] = await keeping.sql<{ location_stripped: boolean }>('select location_stripped from images where id = $1', [image.id]);
    expect(row!.location_stripped).toBe(false);
    const { orm, files, logger } = keeping.server.deps;
    const backfill = new LocationBackfill(orm.em, files, logger, 1);
    const report = await backfill.run();
    expect(report.checked).toBeGreaterThanOrEqual(2);
    expect(report.stripped).toBeGreaterThanOrEqual(2);
    const served = await download(keeping, image.originalUrl);
    expect(locationTags(exiftoolRead(served))).toEqual([]);
    expect(await pixels(served)).toEqual(await pixels(phonePng));
    const [after] = await keeping.sql<{ location_stripped: boolean; bytes: number }>('select location_stripped, bytes from images where id = $1', [image.id]);
    expect(after).toEqual({ location_stripped: true, bytes: served.length });
    expect(await backfill.run()).toEqual({ checked: 0, stripped: 0 });
  });
});

it('uploads under strip need no backfill', async () => {
  await upload(server, owner, 'tower.jpg', cameraJpeg);
  const [row] = await server.sql<{ n: number }>('select count(*)::int as n from images where not location_stripped');
  expect(row!.n).toBe(0);
});
