import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { distinctJpeg, distinctPng } from '../support/images.js';
import { BUILTIN_TIER_IDS, TestServer, type TestUser } from '../support/test-server.js';

// Issue 13: a download is named after the uploaded file, and the stored name is the one the user
// gave. Browsers and Node's FormData escape `"`, CR and LF in a multipart filename (%22, %0D, %0A,
// per the HTML spec) and the multipart parser hands the escapes on, so the server undoes those three.

const SELECTION = 'id filename thumbnails { size url } originalUrl';

let server: TestServer;
let owner: TestUser;

beforeAll(async () => {
  server = await TestServer.start();
  owner = await server.createUser({ tierId: BUILTIN_TIER_IDS.premium });
});
afterAll(async () => {
  await server?.stop();
});

interface Uploaded {
  id: string;
  filename: string;
  thumbnails: Array<{ size: number; url: string }>;
  originalUrl: string;
}

async function upload(name: string, data?: Buffer): Promise<Uploaded> {
  const result = await server.upload(owner.token, [{ name, data: data ?? (await distinctJpeg(300, 200)) }], { selection: SELECTION });
  expect(result.errors).toBeUndefined();
  return result.data.uploadImage;
}

async function disposition(link: string): Promise<string> {
  const { pathname, search } = new URL(link);
  const response = await fetch(`${server.url}${pathname}${search}`);
  expect(response.status).toBe(200);
  await response.arrayBuffer();
  return response.headers.get('content-disposition')!;
}

/** The name a client that reads RFC 6266 saves the file under: `filename*`, percent-decoded as UTF-8. */
function savedName(header: string): string {
  const match = /; filename\*=UTF-8''([^;\s]+)$/.exec(header);
  expect(match, header).not.toBeNull();
  return decodeURIComponent(match![1]!);
}

const thumb = (image: Uploaded) => image.thumbnails.find((t) => t.size === 200)!.url;

describe('uploaded names', () => {
  it('arrive form-escaped: Node’s FormData writes ", CR and LF as %22, %0D and %0A, and leaves %', async () => {
    const form = new FormData();
    form.append('0', new Blob([new Uint8Array(3)]), 'a "b"\r\nc%41.jpg');
    const body = Buffer.from(await new Request('http://localhost/', { method: 'POST', body: form }).arrayBuffer()).toString('latin1');
    expect(body).toContain('filename="a %22b%22%0D%0Ac%41.jpg"');
  });

  it('are stored with the quotes given, line breaks dropped, and a %41 the user typed kept', async () => {
    expect((await upload('say "cheese".jpg')).filename).toBe('say "cheese".jpg');
    expect((await upload('line\nbreak.jpg')).filename).toBe('linebreak.jpg');
    expect((await upload('cr\r\nlf.jpg')).filename).toBe('crlf.jpg');
    expect((await upload('a%41.jpg')).filename).toBe('a%41.jpg');
    expect((await upload('100%22 sure.jpg')).filename, 'indistinguishable from an escaped quote, so read as one').toBe('100" sure.jpg');
  });
});

describe('Content-Disposition', () => {
  it('names the download after a non-ASCII upload, with an ASCII stand-in, inline', async () => {
    const image = await upload('Café 東京.jpg');
    expect(image.filename).toBe('Café 東京.jpg');
    const original = await disposition(image.originalUrl);
    expect(original).toBe(`inline; filename="Cafe __.jpg"; filename*=UTF-8''Caf%C3%A9%20%E6%9D%B1%E4%BA%AC.jpg`);
    expect(savedName(original)).toBe('Café 東京.jpg');
    const thumbnail = await disposition(thumb(image));
    expect(thumbnail).toBe(`inline; filename="Cafe __-h200.jpg"; filename*=UTF-8''Caf%C3%A9%20%E6%9D%B1%E4%BA%AC-h200.jpg`);
    expect(savedName(thumbnail)).toBe('Café 東京-h200.jpg');
  });

  it('keeps quotes inside the quoted filename and percent-encodes them in filename*', async () => {
    const image = await upload('say "cheese".jpg');
    const header = await disposition(image.originalUrl);
    expect(header).toBe(`inline; filename="say \\"cheese\\".jpg"; filename*=UTF-8''say%20%22cheese%22.jpg`);
    expect(savedName(header)).toBe('say "cheese".jpg');
  });

  it('gives a thumbnail the same name with its height, on the hot path too', async () => {
    const image = await upload('holiday.jpg');
    const link = thumb(image);
    const first = await disposition(link);
    expect(first).toBe(`inline; filename="holiday-h200.jpg"; filename*=UTF-8''holiday-h200.jpg`);
    expect(await disposition(link)).toBe(first);
  });

  it('always ends in the detected format’s extension', async () => {
    const image = await upload('scan.jpg', await distinctPng(300, 200));
    expect(savedName(await disposition(image.originalUrl))).toBe('scan.png');
    expect(savedName(await disposition(thumb(image)))).toBe('scan-h200.png');
    const page = await upload('page.html');
    expect(savedName(await disposition(page.originalUrl))).toBe('page.jpg');
  });

  it('names an expiring link’s download the same way', async () => {
    const enterprise = await server.createUser({ tierId: BUILTIN_TIER_IDS.enterprise });
    const result = await server.upload(enterprise.token, [{ name: 'résumé.jpg', data: await distinctJpeg(300, 200) }], { selection: 'id' });
    const id = result.data.uploadImage.id;
    const link = (await server.gql(`mutation($id: ID!) { createExpiringLink(imageId: $id, expiresIn: 600) { url } }`, { id }, enterprise.token)).data.createExpiringLink.url;
    expect(await disposition(link)).toBe(`inline; filename="resume.jpg"; filename*=UTF-8''r%C3%A9sum%C3%A9.jpg`);
  });
});
