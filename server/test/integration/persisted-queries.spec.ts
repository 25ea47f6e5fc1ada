import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestServer, type TestUser } from '../support/test-server.js';

// Automatic persisted queries (issue 13), as Apollo Client's PersistedQueryLink speaks them: the hash
// first, the text only when the server does not know it yet, and GET for queries once it does.

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const persisted = (query: string) => ({ persistedQuery: { version: 1, sha256Hash: sha256(query) } });

let server: TestServer;
let user: TestUser;
beforeAll(async () => {
  server = await TestServer.start();
  user = await server.createUser();
});
afterAll(() => server?.stop());

async function post(body: Record<string, unknown>, token = user.token) {
  const response = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as { data?: any; errors?: Array<{ extensions?: { code?: string } }> } };
}

async function get(params: Record<string, unknown>) {
  const search = new URLSearchParams(Object.entries(params).map(([name, value]): [string, string] => [name, typeof value === 'string' ? value : JSON.stringify(value)]));
  const response = await fetch(`${server.url}/graphql?${search}`, { headers: { authorization: `Bearer ${user.token}`, 'apollo-require-preflight': 'true' } });
  return { status: response.status, body: (await response.json()) as { data?: any; errors?: Array<{ extensions?: { code?: string } }> } };
}

describe('automatic persisted queries', () => {
  it('asks for the text of an unknown hash, then answers the hash alone, over POST and GET', async () => {
    const query = `query Me { me { username } } # ${Math.random()}`;
    const unknown = await post({ extensions: persisted(query) });
    expect(unknown.status).toBeLessThan(500);
    expect(unknown.body.errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_NOT_FOUND');
    const registered = await post({ query, extensions: persisted(query) });
    expect(registered.body).toEqual({ data: { me: { username: user.username } } });
    expect((await post({ extensions: persisted(query) })).body).toEqual({ data: { me: { username: user.username } } });
    expect((await get({ extensions: persisted(query) })).body).toEqual({ data: { me: { username: user.username } } });
  });

  it('refuses a hash that does not match its text, and stores nothing under it', async () => {
    const query = '{ me { id } }';
    const wrong = { persistedQuery: { version: 1, sha256Hash: sha256('something else') } };
    const refused = await post({ query, extensions: wrong });
    expect(refused.status).toBe(400);
    expect(refused.body.errors?.[0]?.extensions?.code).toBe('BAD_REQUEST');
    expect((await post({ extensions: wrong })).body.errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_NOT_FOUND');
  });

  it('holds a persisted query to the same operation limits, and never stores one they refuse', async () => {
    // 300 aliases, over GRAPHQL_MAX_ALIASES (250): valid GraphQL the limits refuse
    const wide = `{ ${Array.from({ length: 300 }, (_, i) => `a${i}: __typename`).join(' ')} }`;
    const refused = await post({ query: wide, extensions: persisted(wide) });
    expect(refused.status).toBe(400);
    expect(refused.body.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect((await post({ extensions: persisted(wide) })).body.errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_NOT_FOUND');
  });

  it('runs no mutation over GET, persisted or not', async () => {
    const mutation = 'mutation { nothing: __typename }';
    await post({ query: mutation, extensions: persisted(mutation) });
    const over = await get({ extensions: persisted(mutation) });
    expect(over.status).toBe(405);
  });
});
