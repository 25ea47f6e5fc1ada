import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestServer } from '../support/test-server.js';

let server: TestServer;
beforeAll(async () => {
  server = await TestServer.start();
});
afterAll(async () => {
  await server?.stop();
});

describe('HTTP surface', () => {
  it('serves the Apollo Sandbox landing page to browsers in development', async () => {
    const response = await fetch(`${server.url}/graphql`, { headers: { accept: 'text/html' } });
    expect(response.status).toBe(200);
    expect(await response.text()).toMatch(/embeddable-sandbox|sandbox/i);
  });

  it('allows cross-origin GraphQL calls, as Apollo Sandbox makes them', async () => {
    const response = await fetch(`${server.url}/graphql`, {
      method: 'OPTIONS',
      headers: { origin: 'https://studio.apollographql.com', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,authorization' },
    });
    expect(response.status).toBeLessThan(300);
    expect(response.headers.get('access-control-allow-origin')).toBe('https://studio.apollographql.com');
  });

  it('answers health checks', async () => {
    const response = await fetch(`${server.url}/healthz`);
    expect(await response.json()).toEqual({ status: 'ok' });
  });

  it('refuses batched requests', async () => {
    const response = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([{ query: '{ __typename }' }, { query: '{ __typename }' }]),
    });
    expect(response.status).toBe(400);
  });

  it('answers broken multipart requests with a JSON error, not HTML', async () => {
    const form = new FormData();
    form.append('operations', '{not json');
    form.append('map', '{}');
    const response = await fetch(`${server.url}/graphql`, { method: 'POST', headers: { 'apollo-require-preflight': 'true' }, body: form });
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toMatch(/application\/json/);
    const body = (await response.json()) as { errors: Array<{ extensions: { code: string } }> };
    expect(body.errors[0]!.extensions.code).toBe('BAD_REQUEST');
  });

  it('refuses a map that points outside the variables', async () => {
    const form = new FormData();
    form.append('operations', JSON.stringify({ query: 'mutation($f: Upload!) { uploadImage(file: $f) { id } }', variables: { f: null } }));
    form.append('map', JSON.stringify({ 0: ['__proto__.polluted'] }));
    form.append('0', new Blob([new Uint8Array([1, 2, 3])]), 'a.png');
    const response = await fetch(`${server.url}/graphql`, { method: 'POST', headers: { 'apollo-require-preflight': 'true', authorization: `Bearer ${server.adminToken}` }, body: form });
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(await server.countRows('images')).toBe(0);
  });

  it('masks unexpected errors and keeps GraphQL’s own validation errors', async () => {
    const unknownField = await server.gql('{ imagez }', {}, server.adminToken);
    expect(unknownField.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(JSON.stringify(unknownField)).not.toMatch(/stacktrace/i);
  });
});
