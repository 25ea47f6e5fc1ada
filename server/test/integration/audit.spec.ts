import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CREATE_TIER, CREATE_USER, DELETE_TIER, DELETE_USER, UPDATE_TIER, UPDATE_USER, code, tok } from '../support/admin-api.js';
import { png } from '../support/images.js';
import { ADMIN, BUILTIN_TIER_IDS, TestServer } from '../support/test-server.js';

// Issue 17: every admin mutation writes one audit event in the transaction of its change, with the
// changed fields before and after; a mutation that fails writes none.

let server: TestServer;
let adminId: string;
beforeAll(async () => {
  server = await TestServer.start();
  adminId = (await server.gql('{ me { id } }', {}, server.adminToken)).data.me.id;
});
afterAll(async () => {
  await server?.stop();
});

const admin = <T = any>(query: string, variables?: Record<string, unknown>) => server.gql<T>(query, variables, server.adminToken);

interface EventRow {
  actor_id: string;
  actor_name: string | null;
  action: string;
  target_type: string;
  target_id: string;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
  request_id: string | null;
  client_address: string | null;
  occurred_at: Date;
}

/** Every event written since the last call, oldest first, straight from the table. */
let seen = 0;
async function newEvents(): Promise<EventRow[]> {
  const rows = await server.sql<EventRow>('select actor_id, actor_name, action, target_type, target_id, before, after, request_id, client_address, occurred_at from audit_events order by occurred_at, ctid offset $1', [seen]);
  seen += rows.length;
  return rows;
}
beforeEach(async () => {
  await newEvents();
});

const expectOne = async (expected: Partial<EventRow>) => {
  const events = await newEvents();
  expect(events).toHaveLength(1);
  expect(events[0]).toMatchObject({ actor_id: adminId, actor_name: ADMIN.username, client_address: expect.stringMatching(/127\.0\.0\.1/), ...expected });
  return events[0]!;
};

describe('audit events of admin mutations', () => {
  it('records the first admin account as made by the system when the server starts', async () => {
    const [row] = await server.sql<EventRow>(`select * from audit_events where action = 'user.create' and actor_id = 'system'`);
    expect(row).toMatchObject({ actor_name: null, target_type: 'user', before: null, after: { username: ADMIN.username, isAdmin: true, tier: { name: 'Enterprise' } } });
  });

  it('records a tier’s creation, each change with only the changed fields, and its deletion', async () => {
    const name = `Audit-${tok()}`;
    const created = (await admin(CREATE_TIER, { input: { name, thumbnailHeights: [300, 100] } })).data.createTier;
    const event = await expectOne({ action: 'tier.create', target_type: 'tier', target_id: created.id, before: null });
    expect(event.after).toEqual({ name, thumbnailHeights: [100, 300], originalLink: false, expiringLinks: false });
    expect(event.occurred_at.toISOString()).toBe(server.clock.now().toISOString());

    server.clock.advance(60_000);
    expect((await admin(UPDATE_TIER, { id: created.id, input: { name, thumbnailHeights: [100, 300, 500], originalLink: true } })).errors).toBeUndefined();
    await expectOne({ action: 'tier.update', target_id: created.id, before: { thumbnailHeights: [100, 300], originalLink: false }, after: { thumbnailHeights: [100, 300, 500], originalLink: true } });

    expect((await admin(DELETE_TIER, { id: created.id })).data.deleteTier).toBe(true);
    await expectOne({ action: 'tier.delete', target_id: created.id, after: null, before: { name, thumbnailHeights: [100, 300, 500], originalLink: true, expiringLinks: false } });
  });

  it('records a user’s creation, a tier move, the admin flag, a rename, a new password (never its value) and the deletion', async () => {
    const username = `audited-${tok()}`;
    const created = (await admin(CREATE_USER, { input: { username, password: 'first-password-1' } })).data.createUser;
    await expectOne({ action: 'user.create', target_type: 'user', target_id: created.id, before: null, after: { username, isAdmin: false, tier: { id: BUILTIN_TIER_IDS.basic, name: 'Basic' } } });

    await admin(UPDATE_USER, { id: created.id, input: { tierId: BUILTIN_TIER_IDS.premium, isAdmin: true } });
    await expectOne({
      action: 'user.update',
      before: { tier: { id: BUILTIN_TIER_IDS.basic, name: 'Basic' }, isAdmin: false },
      after: { tier: { id: BUILTIN_TIER_IDS.premium, name: 'Premium' }, isAdmin: true },
    });

    await admin(UPDATE_USER, { id: created.id, input: { username: `${username}-2`, password: 'second-password-2' } });
    const renamed = await expectOne({ action: 'user.update', before: { username }, after: { username: `${username}-2`, password: 'changed' } });
    expect(JSON.stringify(renamed)).not.toContain('second-password-2');

    expect((await admin(DELETE_USER, { id: created.id })).data.deleteUser).toBe(true);
    await expectOne({ action: 'user.delete', target_id: created.id, after: null, before: { username: `${username}-2`, isAdmin: true, tier: { name: 'Premium' }, images: 0 } });
  });

  it('writes one event per target when the admin app deletes several in one request', async () => {
    const users = [await server.createUser(), await server.createUser(), await server.createUser()];
    await newEvents();
    const result = await admin(`mutation { ${users.map((u, i) => `d${i}: deleteUser(id: "${u.id}")`).join(' ')} }`);
    expect(result.errors).toBeUndefined();
    const events = await newEvents();
    expect(events.map((e) => [e.action, e.target_id])).toEqual(users.map((u) => ['user.delete', u.id]));
  });

  it('carries the request’s X-Request-Id', async () => {
    const response = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${server.adminToken}`, 'x-request-id': 'audit-trace-42' },
      body: JSON.stringify({ query: CREATE_TIER, variables: { input: { name: `Traced-${tok()}`, thumbnailHeights: [100] } } }),
    });
    expect(response.status).toBe(200);
    await expectOne({ action: 'tier.create', request_id: 'audit-trace-42' });
  });

  it('records an admin revoking another user’s expiring link and rotating their image’s links, not owners acting on their own', async () => {
    const owner = await server.createUser({ tierId: BUILTIN_TIER_IDS.enterprise });
    const upload = await server.upload(owner.token, [{ name: 'a.png', data: await png(64, 48) }], { selection: 'id' });
    const imageId = upload.data.uploadImage.id as string;
    const create = `mutation($id: ID!) { createExpiringLink(imageId: $id, expiresIn: 600) { id } }`;
    const [own, theirs] = [(await server.gql(create, { id: imageId }, owner.token)).data.createExpiringLink.id, (await server.gql(create, { id: imageId }, owner.token)).data.createExpiringLink.id];
    const revoke = `mutation($id: ID!) { revokeExpiringLink(id: $id) { revokedAt } }`;
    const rotate = `mutation($id: ID!) { rotateImageLinks(imageId: $id) { id } }`;
    await newEvents();

    expect((await server.gql(revoke, { id: own }, owner.token)).errors).toBeUndefined();
    expect((await server.gql(rotate, { id: imageId }, owner.token)).errors).toBeUndefined();
    expect(await newEvents()).toEqual([]);

    const revokedAt = (await admin(revoke, { id: theirs })).data.revokeExpiringLink.revokedAt;
    await expectOne({ action: 'expiringLink.revoke', target_type: 'expiringLink', target_id: theirs, before: { revokedAt: null }, after: { revokedAt } });
    expect((await admin(rotate, { id: imageId })).errors).toBeUndefined();
    await expectOne({ action: 'image.rotateLinks', target_type: 'image', target_id: imageId, before: { linkVersion: 1 }, after: { linkVersion: 2 } });
  });

  it('records an admin revoking another user’s personal access token (never its secret or hash), not anyone revoking their own', async () => {
    const owner = await server.createUser();
    const create = `mutation($input: CreateAccessTokenInput!) { createAccessToken(input: $input) { token accessToken { id createdAt expiresAt } } }`;
    const revoke = `mutation($id: ID!) { revokeAccessToken(id: $id) }`;
    const made = async (token: string, name: string) => (await server.gql(create, { input: { name, expiresInDays: 30 } }, token)).data.createAccessToken;
    const [own, adminsOwn, theirs] = [await made(owner.token, 'own'), await made(server.adminToken, 'admin’s own'), await made(owner.token, 'nightly backup')];
    const [hash] = await server.sql<{ token_hash: string }>('select token_hash from access_tokens where id = $1', [theirs.accessToken.id]);
    await newEvents();

    expect((await server.gql(revoke, { id: own.accessToken.id }, owner.token)).data.revokeAccessToken).toBe(true);
    expect((await admin(revoke, { id: adminsOwn.accessToken.id })).data.revokeAccessToken).toBe(true);
    expect(await newEvents()).toEqual([]);

    expect((await admin(revoke, { id: theirs.accessToken.id })).data.revokeAccessToken).toBe(true);
    const event = await expectOne({
      action: 'accessToken.revoke',
      target_type: 'accessToken',
      target_id: theirs.accessToken.id,
      after: null,
      before: { name: 'nightly backup', user: { id: owner.id, username: owner.username }, createdAt: theirs.accessToken.createdAt, expiresAt: theirs.accessToken.expiresAt, lastUsedAt: null },
    });
    expect(JSON.stringify(event)).not.toContain(theirs.token);
    expect(JSON.stringify(event)).not.toContain(hash!.token_hash);

    // revoked already: NOT_FOUND, and nothing more recorded
    expect(code(await admin(revoke, { id: theirs.accessToken.id }))).toBe('NOT_FOUND');
    expect(await newEvents()).toEqual([]);
  });
});

describe('a mutation that fails writes no event', () => {
  const nothingWritten = async () => expect(await newEvents()).toEqual([]);

  it('refused by the database at commit: a tier renamed onto a taken name (the same transaction rolls the event back)', async () => {
    const tier = await server.createTier({ thumbnailHeights: [100] });
    await newEvents();
    const result = await admin(UPDATE_TIER, { id: tier.id, input: { name: 'premium', thumbnailHeights: [100, 200] } });
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', reason: 'NAME_TAKEN' });
    await nothingWritten();
    expect((await server.sql('select thumbnail_heights from tiers where id = $1', [tier.id]))[0].thumbnail_heights).toEqual([100]);
  });

  it('refused by the database at commit: a user created with a taken username', async () => {
    const result = await admin(CREATE_USER, { input: { username: ADMIN.username.toUpperCase(), password: 'some-password-1' } });
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', reason: 'USERNAME_TAKEN' });
    await nothingWritten();
  });

  it('refused by a rule: a tier in use, a builtin tier, an admin removing their own rights, bad input, a missing id', async () => {
    const tier = await server.createTier({ thumbnailHeights: [100] });
    await server.createUser({ tierId: tier.id });
    await newEvents();
    expect(code(await admin(DELETE_TIER, { id: tier.id }))).toBe('CONFLICT');
    expect(code(await admin(DELETE_TIER, { id: BUILTIN_TIER_IDS.basic }))).toBe('FORBIDDEN');
    expect(code(await admin(UPDATE_USER, { id: adminId, input: { username: `renamed-${tok()}`, isAdmin: false } }))).toBe('BAD_USER_INPUT');
    expect(code(await admin(DELETE_USER, { id: adminId }))).toBe('BAD_USER_INPUT');
    expect(code(await admin(CREATE_TIER, { input: { name: `t-${tok()}`, thumbnailHeights: [] } }))).toBe('BAD_USER_INPUT');
    expect(code(await admin(UPDATE_TIER, { id: '00000000-0000-4000-8000-00000000dead', input: { name: 'x' } }))).toBe('NOT_FOUND');
    await nothingWritten();
  });

  it('refused for lack of rights: a user who is not an admin', async () => {
    const user = await server.createUser();
    await newEvents();
    expect(code(await server.gql(CREATE_TIER, { input: { name: `t-${tok()}`, thumbnailHeights: [100] } }, user.token))).toBe('FORBIDDEN');
    await nothingWritten();
  });
});
