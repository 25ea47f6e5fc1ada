import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/env.js';
import { LinkSigner } from '../../src/links/link-signer.js';
import { LinkUrls } from '../../src/links/link-urls.js';
import { png } from '../support/images.js';
import { BUILTIN_TIER_IDS, TestServer, type TestUser } from '../support/test-server.js';

/**
 * Rows L1–L7 of RELIABILITY.md §1: hostile and stale links. Two kinds exist: permanent links
 * (`/files/<image>/<variant>?sig=`, no expiry, the owner's tier checked on every request) and expiring
 * links (`/links/<image>.<exp>.<sig>`, the original only).
 */

const NEW_KEY = 'reliability-new-link-key-0123456789abcdef';
const OLD_KEY = 'reliability-old-link-key-0123456789abcdef';
const RETIRED_KEY = 'reliability-retired-link-key-0123456789ab';

const EXPIRING = `mutation($id: ID!, $e: Int!) { createExpiringLink(imageId: $id, expiresIn: $e) { url expiresAt } }`;
const UPLOAD_FIELDS = 'id thumbnails { size url } originalUrl';

interface Uploaded {
  id: string;
  thumbnails: Array<{ size: number; url: string }>;
  originalUrl: string | null;
}

let server: TestServer;
let start: Date;
beforeAll(async () => {
  // L7 needs two listed keys; every other row works the same under them
  server = await TestServer.start({ env: { LINK_SIGNING_KEYS: `${NEW_KEY},${OLD_KEY}` } });
  start = server.clock.now();
});
afterEach(() => server.clock.set(start));
afterAll(async () => {
  await server?.stop();
});

const user = (tier: keyof typeof BUILTIN_TIER_IDS) => server.createUser({ tierId: BUILTIN_TIER_IDS[tier] });

async function upload(owner: TestUser, background = '#c33'): Promise<Uploaded> {
  const result = await server.upload(owner.token, [{ name: 'photo.png', data: await png(500, 500, background) }], { selection: UPLOAD_FIELDS });
  expect(result.errors).toBeUndefined();
  return result.data.uploadImage;
}

async function expiringLink(owner: TestUser, imageId: string, expiresIn = 600): Promise<string> {
  const result = await server.gql(EXPIRING, { id: imageId, e: expiresIn }, owner.token);
  expect(result.errors).toBeUndefined();
  return result.data.createExpiringLink.url;
}

/** GET on the test server's origin: links name PUBLIC_URL, which is localhost. */
async function get(link: string): Promise<{ status: number; headers: Headers; body: string }> {
  const { pathname, search } = new URL(link, server.url);
  const response = await fetch(`${server.url}${pathname}${search}`);
  return { status: response.status, headers: response.headers, body: await response.text() };
}

/** The refusal a client gets: status, code, and the exact body, so refusals can be compared. */
async function refusal(link: string, status: number, code: string): Promise<string> {
  const response = await get(link);
  expect(response.status, link).toBe(status);
  expect(JSON.parse(response.body).error.code, link).toBe(code);
  return response.body;
}

const thumb = (image: Uploaded, size: number) => image.thumbnails.find((t) => t.size === size)!.url;
/** An expiring link's id and signature: the URL carries nothing else, the row holds image, size and expiry. */
const parts = (link: string) => new URL(link).pathname.slice('/links/'.length).split('.') as [string, string];
const sigOf = (link: string) => new URL(link).searchParams.get('sig')!;

// permanent links carry no expiry to tamper with; L1 and L3 concern expiring links only
describe('L1: an expiring link with an exp put into it', () => {
  it('L1: answers 403 LINK_INVALID for every exp added under the same signature, alike: the expiry is the row’s, not the URL’s', async () => {
    const owner = await user('enterprise');
    const image = await upload(owner);
    const link = await expiringLink(owner, image.id);
    const [id, sig] = parts(link);
    const exp = Math.floor(server.clock.now().getTime() / 1000) + 600;
    expect((await get(link)).status).toBe(200);
    const bodies = new Set<string>();
    for (const changed of [exp + 1, exp - 1, exp + 30_000, 9_999_999_999, 0]) {
      bodies.add(await refusal(`${server.url}/links/${id}.${changed}.${sig}`, 403, 'LINK_INVALID'));
    }
    expect(bodies.size).toBe(1);
  });
});

describe('L2: a link with its image id or variant changed', () => {
  it('L2: answers the same 403 for an existing and a missing image, for both kinds of link', async () => {
    const owner = await user('enterprise');
    const [a, b] = [await upload(owner, '#111'), await upload(owner, '#eee')];
    const sig = sigOf(thumb(a, 200));
    const [, linkSig] = parts(await expiringLink(owner, a.id));
    const [otherLinkId] = parts(await expiringLink(owner, b.id));
    const tampered = [
      `/files/${b.id}/h200?sig=${sig}`,
      `/files/${randomUUID()}/h200?sig=${sig}`,
      `/files/${a.id}/h400?sig=${sig}`,
      `/files/${a.id}/original?sig=${sig}`,
      `/links/${otherLinkId}.${linkSig}`,
      `/links/${randomUUID()}.${linkSig}`,
    ];
    const answers = new Set<string>();
    for (const path of tampered) {
      const response = await get(`${server.url}${path}`);
      expect(response.status, path).toBe(403);
      answers.add(JSON.stringify({ body: response.body, type: response.headers.get('content-type'), cache: response.headers.get('cache-control') }));
    }
    expect(answers.size).toBe(1);
    expect(JSON.parse(JSON.parse([...answers][0]!).body).error.code).toBe('LINK_INVALID');
  });
});

describe('L3: replay after expiry, by the server clock only', () => {
  it('L3: serves at exp-1 and exp, answers 410 LINK_EXPIRED at exp+1 and later', async () => {
    const owner = await user('enterprise');
    const image = await upload(owner);
    const exp = Math.floor(server.clock.now().getTime() / 1000) + 300;
    const link = await expiringLink(owner, image.id, 300);
    const at = (seconds: number) => server.clock.set(new Date(seconds * 1000));
    at(exp - 1);
    expect((await get(link)).status).toBe(200);
    at(exp);
    expect((await get(link)).status).toBe(200);
    for (const late of [exp + 1, exp + 86_400]) {
      at(late);
      await refusal(link, 410, 'LINK_EXPIRED');
    }
  });

  // sent as raw JSON so 1e309 reaches the server as written, not as JSON.stringify's `null`
  it.each(['299', '30001', '-1', '0', '300.5', '1e309', '"300"', '1e12'])('L3: refuses expiresIn %s at creation with BAD_USER_INPUT', async (expiresIn) => {
    const owner = await user('enterprise');
    const image = await upload(owner);
    const response = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${owner.token}` },
      body: `{"query": ${JSON.stringify(EXPIRING)}, "variables": {"id": "${image.id}", "e": ${expiresIn}}}`,
    });
    const body = (await response.json()) as { data?: { createExpiringLink?: unknown } | null; errors?: Array<{ extensions?: { code?: string } }> };
    expect(body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(body.data?.createExpiringLink ?? null).toBeNull();
  });

  it('L3: accepts the bounds 300 and 30000', async () => {
    const owner = await user('enterprise');
    const image = await upload(owner);
    for (const e of [300, 30_000]) expect((await server.gql(EXPIRING, { id: image.id, e }, owner.token)).errors, String(e)).toBeUndefined();
  });
});

describe('L4: a malformed signature', () => {
  const malformed = ['', 'A', '%00', 'A'.repeat(10 * 1024), '*'.repeat(22), '+/'.repeat(11), `${'A'.repeat(22)}==`, '%E9'.repeat(22)];
  let owner: TestUser;
  let image: Uploaded;
  let expiring: string;
  beforeAll(async () => {
    owner = await user('enterprise');
    image = await upload(owner);
    expiring = await expiringLink(owner, image.id);
  });

  it.each(malformed.map((sig) => [sig.length > 40 ? `${sig.slice(0, 12)}… (${sig.length} chars)` : JSON.stringify(sig), sig]))(
    'L4: answers 403 LINK_INVALID, never 500, to sig %s on both kinds of link',
    async (_name, sig) => {
      const [id] = parts(expiring);
      await refusal(`${server.url}/files/${image.id}/h200?sig=${sig}`, 403, 'LINK_INVALID');
      await refusal(`${server.url}/links/${id}.${sig}`, 403, 'LINK_INVALID');
      expect((await get(thumb(image, 200))).status).toBe(200);
    },
  );
});

describe('L5: another user’s image (IDOR)', () => {
  it('L5: image, deleteImage and createExpiringLink answer NOT_FOUND exactly as for a missing id, and change nothing', async () => {
    const [owner, intruder] = [await user('enterprise'), await user('enterprise')];
    const theirs = await upload(owner);
    expect(theirs.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const operations = [
      [`query($id: ID!) { image(id: $id) { id } }`, (id: string) => ({ id })],
      [`mutation($id: ID!) { deleteImage(id: $id) }`, (id: string) => ({ id })],
      [EXPIRING, (id: string) => ({ id, e: 600 })],
    ] as const;
    const filesBefore = (await server.mediaFiles()).filter((f) => f.includes(theirs.id));
    for (const [query, variables] of operations) {
      const attempt = await server.gql(query, variables(theirs.id), intruder.token);
      const missing = await server.gql(query, variables(randomUUID()), intruder.token);
      expect(attempt.errors?.[0]?.extensions?.code, query).toBe('NOT_FOUND');
      expect({ message: attempt.errors?.[0]?.message, extensions: attempt.errors?.[0]?.extensions, data: attempt.data }).toEqual({
        message: missing.errors?.[0]?.message,
        extensions: missing.errors?.[0]?.extensions,
        data: missing.data,
      });
    }
    expect(await server.sql('select id from images where id = $1', [theirs.id])).toHaveLength(1);
    expect((await server.mediaFiles()).filter((f) => f.includes(theirs.id))).toEqual(filesBefore);
    expect((await get(theirs.originalUrl!)).status).toBe(200);
  });
});

// users cannot be disabled in this product; deleting the user is the way to cut them off, tested here
describe('L6: the owner’s rights change after the link was made', () => {
  it('L6: a downgrade stops the links the new tier lacks, at once', async () => {
    const owner = await user('enterprise');
    const image = await upload(owner);
    const links = [thumb(image, 400), image.originalUrl!, await expiringLink(owner, image.id)];
    for (const link of links) expect((await get(link)).status, link).toBe(200);
    await server.setUserTier(owner.id, BUILTIN_TIER_IDS.basic);
    for (const link of links) await refusal(link, 403, 'LINK_NOT_ALLOWED');
    expect((await get(thumb(image, 200))).status).toBe(200);
    // and the tier's limits apply when a link is made
    expect((await server.gql(EXPIRING, { id: image.id, e: 600 }, owner.token)).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('L6: deleting the image, or its owner, makes every link answer 404', async () => {
    for (const remove of ['image', 'user'] as const) {
      const owner = await user('enterprise');
      const image = await upload(owner);
      const links = [thumb(image, 200), image.originalUrl!, await expiringLink(owner, image.id)];
      for (const link of links) expect((await get(link)).status, link).toBe(200);
      const result =
        remove === 'image'
          ? await server.gql(`mutation($id: ID!) { deleteImage(id: $id) }`, { id: image.id }, owner.token)
          : await server.gql(`mutation($id: ID!) { deleteUser(id: $id) }`, { id: owner.id }, server.adminToken);
      expect(result.errors, remove).toBeUndefined();
      for (const link of links) await refusal(link, 404, 'NOT_FOUND');
    }
  });
});

describe('L7: signing-key rotation', () => {
  const publicUrl = () => server.server.deps.config.publicUrl;
  const signedWith = (key: string) => new LinkUrls(publicUrl(), new LinkSigner([key]));

  it('L7: keeps links signed with the old key valid while it is listed, signs new ones with the first key, and refuses unlisted keys', async () => {
    const owner = await user('enterprise');
    const image = await upload(owner);
    // the id of a real expiring link, signed again with each key
    const linkId = new URL(await expiringLink(owner, image.id)).pathname.split('/')[2]!.split('.')[0]!;
    const old = signedWith(OLD_KEY);
    expect((await get(old.permanent(image.id, { kind: 'thumbnail', height: 200 }, 0))).status).toBe(200);
    expect((await get(old.expiring(linkId))).status).toBe(200);

    expect(thumb(image, 200)).toBe(signedWith(NEW_KEY).permanent(image.id, { kind: 'thumbnail', height: 200 }, 0));
    expect(thumb(image, 200)).not.toBe(old.permanent(image.id, { kind: 'thumbnail', height: 200 }, 0));

    const retired = signedWith(RETIRED_KEY);
    await refusal(retired.permanent(image.id, { kind: 'thumbnail', height: 200 }, 0), 403, 'LINK_INVALID');
    await refusal(retired.expiring(linkId), 403, 'LINK_INVALID');
  });

  it('L7: takes keys from the configuration, never made up at boot: production refuses to start without them', () => {
    const env = { NODE_ENV: 'production', DATABASE_URL: 'postgres://localhost/x', AUTH_SECRET: NEW_KEY, LOG_LEVEL: 'silent' };
    expect(() => loadConfig(env)).toThrow(/LINK_SIGNING_KEYS/);
    expect(loadConfig({ ...env, LINK_SIGNING_KEYS: `${NEW_KEY},${OLD_KEY}` }).linkSigningKeys).toEqual([NEW_KEY, OLD_KEY]);
  });
});
