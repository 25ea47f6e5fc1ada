import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestServer } from '../support/test-server.js';

// Issue 17 for personal access tokens (the event itself: audit.spec.ts): the revocation and its event
// are one transaction, so a revocation that deletes nothing records nothing.

const CREATE = `mutation($input: CreateAccessTokenInput!) { createAccessToken(input: $input) { token accessToken { id } } }`;
const REVOKE = `mutation($id: ID!) { revokeAccessToken(id: $id) }`;

let server: TestServer;
beforeAll(async () => {
  server = await TestServer.start();
});
afterAll(async () => {
  await server?.stop();
});

const eventsAbout = (id: string) => server.sql<{ action: string }>('select action from audit_events where target_id = $1', [id]);

describe('an admin revoking another user’s access token', () => {
  it('of two admins revoking the same token at once, one succeeds and one event is written', async () => {
    const owner = await server.createUser();
    const secondAdmin = await server.createUser({ isAdmin: true });
    const { token, accessToken } = (await server.gql(CREATE, { input: { name: 'race' } }, owner.token)).data.createAccessToken;

    const results = await Promise.all([server.gql(REVOKE, { id: accessToken.id }, server.adminToken), server.gql(REVOKE, { id: accessToken.id }, secondAdmin.token)]);

    expect(results.map((r) => r.data?.revokeAccessToken ?? r.errors?.[0]?.extensions?.code).sort()).toEqual(['NOT_FOUND', true]);
    expect(await eventsAbout(accessToken.id)).toEqual([{ action: 'accessToken.revoke' }]);
    expect((await server.gql('{ me { id } }', {}, token)).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('records nothing for a token that does not exist, nor for an id that cannot be one', async () => {
    const missing = '00000000-0000-4000-8000-000000000000';
    for (const id of [missing, 'not-a-uuid']) {
      expect((await server.gql(REVOKE, { id }, server.adminToken)).errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
      expect(await eventsAbout(id)).toEqual([]);
    }
  });
});
