import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { jpeg, png, withPngChunk } from '../support/images.js';
import { BUILTIN_TIER_IDS, TestServer, type TestUser } from '../support/test-server.js';

/**
 * Row S1 of RELIABILITY.md §1: nothing the server sends can be sniffed into HTML or run as script. The
 * stored original keeps whatever bytes came after the image (the U5 polyglot), so the headers are the
 * defence: on images, on every refusal, and on the admin app.
 */

const SCRIPT = '<html><script>alert(1)</script></html>';
const EXPIRING = `mutation($id: ID!, $e: Int!) { createExpiringLink(imageId: $id, expiresIn: $e) { url } }`;
const SANDBOX = "default-src 'none'; sandbox";

interface Uploaded {
  id: string;
  thumbnails: Array<{ size: number; url: string }>;
  originalUrl: string;
}

interface Fetched {
  status: number;
  headers: Headers;
  bytes: Buffer;
}

let server: TestServer;
let owner: TestUser;
let start: Date;
beforeAll(async () => {
  server = await TestServer.start();
  owner = await server.createUser({ tierId: BUILTIN_TIER_IDS.enterprise });
  start = server.clock.now();
});
afterEach(() => server.clock.set(start));
afterAll(async () => {
  await server?.stop();
});

/** Uploaded under a hostile name and client type; the type shows up nowhere in what is served, the name only with the detected format's extension. */
async function upload(data: Buffer): Promise<Uploaded> {
  const result = await server.upload(owner.token, [{ name: 'evil-name.html', type: 'text/html', data }], { selection: 'id thumbnails { size url } originalUrl' });
  expect(result.errors).toBeUndefined();
  return result.data.uploadImage;
}

async function get(link: string, headers: Record<string, string> = {}): Promise<Fetched> {
  const { pathname, search } = new URL(link, server.url);
  const response = await fetch(`${server.url}${pathname}${search}`, { headers });
  return { status: response.status, headers: response.headers, bytes: Buffer.from(await response.arrayBuffer()) };
}

const expiringLink = async (imageId: string) => (await server.gql(EXPIRING, { id: imageId, e: 600 }, owner.token)).data.createExpiringLink.url as string;

/** What every answer of a file route carries, whatever its status. */
function expectLockedDown(response: Fetched, what: string) {
  expect(response.headers.get('x-content-type-options'), what).toBe('nosniff');
  expect(response.headers.get('content-security-policy'), what).toBe(SANDBOX);
  expect(response.headers.get('cross-origin-resource-policy'), what).toBe('cross-origin');
}

const polyglots = {
  'JPEG + appended HTML': async () => ({ data: Buffer.concat([await jpeg(300, 300), Buffer.from(SCRIPT)]), type: 'image/jpeg', ext: 'jpg' }),
  'PNG + HTML in a tEXt chunk': async () => ({ data: withPngChunk(await png(300, 300), 'tEXt', Buffer.from(`Comment\0${SCRIPT}`)), type: 'image/png', ext: 'png' }),
};

describe('S1: served image bytes', () => {
  it.each(Object.keys(polyglots) as Array<keyof typeof polyglots>)(
    'S1: the %s polyglot is served, original and thumbnail, typed by the detected format, named after the upload with that format’s extension',
    async (kind) => {
      const { data, type, ext } = await polyglots[kind]();
      const image = await upload(data);
      const served = {
        original: { link: image.originalUrl, variant: 'original' },
        thumbnail: { link: image.thumbnails.find((t) => t.size === 200)!.url, variant: 'h200' },
        expiring: { link: await expiringLink(image.id), variant: 'original' },
      };
      for (const [name, { link, variant }] of Object.entries(served)) {
        const response = await get(link);
        expect(response.status, name).toBe(200);
        expectLockedDown(response, name);
        expect(response.headers.get('content-type'), name).toBe(type);
        const download = `evil-name${variant === 'original' ? '' : `-${variant}`}.${ext}`;
        expect(response.headers.get('content-disposition'), name).toBe(`inline; filename="${download}"; filename*=UTF-8''${download}`);
        expect(response.headers.get('cache-control'), name).toMatch(/^private\b/);
      }
      // the original is kept byte for byte, payload included, which is why the headers above matter;
      // a thumbnail is re-encoded, which drops it
      expect((await get(served.original.link)).bytes.equals(data)).toBe(true);
      expect((await get(served.thumbnail.link)).bytes.includes('<script')).toBe(false);
    },
  );

  it('S1: an expiring link may be cached no longer than it lives: not at all, since it can be revoked', async () => {
    const image = await upload(await jpeg(200, 200));
    const link = await expiringLink(image.id);
    server.clock.advance(1000);
    expect((await get(link)).headers.get('cache-control')).toBe('private, no-cache');
  });

  it('S1: every refusal and every 304 carries the same headers, and no image type or file name', async () => {
    const image = await upload(await jpeg(200, 200));
    const thumb = image.thumbnails.find((t) => t.size === 200)!.url;
    const expiring = await expiringLink(image.id);
    const etag = (await get(thumb)).headers.get('etag')!;
    const notModified = await get(thumb, { 'if-none-match': etag });
    expect(notModified.status).toBe(304);
    expectLockedDown(notModified, '304');

    const refusals: Array<[string, string, number]> = [
      ['bad signature', `/files/${image.id}/h200?sig=AAAA`, 403],
      ['bad expiring token', `/links/${image.id}.1.AAAA`, 403],
      ['undecodable path', `/links/%E9%E9`, 403],
      ['missing image', `/files/${randomUUID()}/h200?sig=AAAA`, 403],
    ];
    for (const [what, path, status] of refusals) {
      const response = await get(`${server.url}${path}`);
      expect(response.status, what).toBe(status);
      expectLockedDown(response, what);
      expect(response.headers.get('content-type'), what).toMatch(/^application\/json/);
      expect(response.headers.get('content-disposition'), what).toBeNull();
    }

    server.clock.advance(3_600_000);
    const expired = await get(expiring);
    expect(expired.status).toBe(410);
    expectLockedDown(expired, '410');
    server.clock.set(start);

    await server.setUserTier(owner.id, BUILTIN_TIER_IDS.basic);
    try {
      const notAllowed = await get(image.originalUrl);
      expect(notAllowed.status).toBe(403);
      expectLockedDown(notAllowed, '403 LINK_NOT_ALLOWED');
    } finally {
      await server.setUserTier(owner.id, BUILTIN_TIER_IDS.enterprise);
    }

    expect((await server.gql(`mutation($id: ID!) { deleteImage(id: $id) }`, { id: image.id }, owner.token)).errors).toBeUndefined();
    const gone = await get(thumb);
    expect(gone.status).toBe(404);
    expectLockedDown(gone, '404');
    expect(gone.headers.get('content-type')).toMatch(/^application\/json/);
  });
});

describe('S1: the admin app', () => {
  // the real build the server serves by default (ADMIN_UI_DIR): `pnpm --filter ./admin-ui run build` makes it
  const directives = (csp: string | null) =>
    new Map((csp ?? '').split(';').map((d) => d.trim().split(/\s+/)).filter((d) => d[0]).map(([name, ...sources]) => [name!, sources]));

  it('S1: index.html and every asset it loads come under a CSP that no inline script or handler in the page needs to break', async () => {
    const page = await fetch(`${server.url}/admin/`);
    const html = await page.text();
    expect(page.status, 'admin-ui/dist is missing: build the admin app').toBe(200);
    const csp = directives(page.headers.get('content-security-policy'));
    const scriptSources = csp.get('script-src') ?? csp.get('default-src');
    expect(scriptSources).toEqual(["'self'"]);
    expect(csp.get('object-src')).toEqual(["'none'"]);
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');

    // what a CSP without 'unsafe-inline' would block: a <script> without src, on* handlers, javascript: URLs
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [tag, attributes, body] of scripts) {
      expect(attributes, tag).toMatch(/\bsrc=/);
      expect(body!.trim(), tag).toBe('');
    }
    expect(html).not.toMatch(/\son[a-z]+\s*=/i);
    expect(html).not.toMatch(/javascript:/i);

    const assets = [...html.matchAll(/\b(?:src|href)="(\/admin\/[^"]+)"/g)].map((m) => m[1]!);
    expect(assets.some((a) => a.endsWith('.js'))).toBe(true);
    for (const asset of assets) {
      const response = await fetch(`${server.url}${asset}`);
      await response.arrayBuffer();
      expect(response.status, asset).toBe(200);
      expect(response.headers.get('content-security-policy'), asset).toBe(page.headers.get('content-security-policy'));
      expect(response.headers.get('x-content-type-options'), asset).toBe('nosniff');
      if (asset.endsWith('.js')) expect(response.headers.get('content-type'), asset).toMatch(/^(text|application)\/javascript/);
    }
  });
});
