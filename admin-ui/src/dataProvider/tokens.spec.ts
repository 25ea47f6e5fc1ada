import { readFileSync } from 'node:fs';
import { ApolloClient, HttpLink, InMemoryCache } from '@apollo/client';
import { buildSchema, execute, GraphQLError, parse, validate } from 'graphql';
import type { DataProvider } from 'react-admin';
import { beforeEach, describe, expect, test } from 'vitest';
import { toHttpError } from './errors';
import { withTokenMethods } from './tokens';

// the reviewed artifact the server emits: a document the server would refuse fails here first
const schema = buildSchema(readFileSync(new URL('../../../schema.graphql', import.meta.url), 'utf8'));

interface Sent {
  operationName: string;
  variables: Record<string, unknown>;
}

/** 23 tokens of user u1, newest first as the server lists them. */
const TOKENS = Array.from({ length: 23 }, (_, i) => ({
  id: `t${i}`,
  name: `script ${i}`,
  createdAt: new Date(Date.UTC(2026, 5, 1, 12, 0, 23 - i)).toISOString(),
  expiresAt: i % 2 ? '2026-07-01T12:00:00.000Z' : null,
  lastUsedAt: i === 0 ? '2026-06-02T08:15:00.000Z' : null,
}));

let sent: Sent[];
let revoked: string[];

const root = {
  accessTokens: ({ userId }: { userId?: string }) => (userId === 'u1' ? TOKENS.map((token) => ({ __typename: 'AccessToken', ...token })) : []),
  revokeAccessToken: ({ id }: { id: string }) => {
    if (!id.startsWith('t')) throw new GraphQLError('Access token not found', { extensions: { code: 'NOT_FOUND' } });
    revoked.push(id);
    return true;
  },
};

/** Answers like the server would: the document checked against the schema, then executed on `root`. */
async function fakeServer(_url: RequestInfo | URL, init?: RequestInit): Promise<Response> {
  const { query, variables, operationName } = JSON.parse(String(init?.body)) as { query: string; variables: Record<string, unknown>; operationName: string };
  const document = parse(query);
  const errors = validate(schema, document);
  if (errors.length) return Response.json({ errors }, { status: 400 });
  sent.push({ operationName, variables });
  return Response.json(await execute({ schema, document, rootValue: root, variableValues: variables }));
}

const crud = { getManyReference: async (resource: string) => ({ data: [{ id: `from ${resource}` }], total: 1 }) } as unknown as DataProvider;
const provider = () =>
  withTokenMethods(crud, new ApolloClient({ link: new HttpLink({ uri: 'http://api.test/graphql', fetch: fakeServer }), cache: new InMemoryCache(), defaultOptions: { query: { fetchPolicy: 'network-only' } } }));

const page = (pageNumber: number, perPage: number, target = 'userId', id = 'u1') =>
  provider().getManyReference('accessTokens', { target, id, pagination: { page: pageNumber, perPage }, sort: { field: 'createdAt', order: 'DESC' }, filter: {} });

beforeEach(() => {
  sent = [];
  revoked = [];
});

describe('a user’s access tokens, as react-admin pages', () => {
  test('page 1 is one request for the user’s tokens, cut to the page, with the total', async () => {
    const result = await page(1, 10);

    expect(result).toMatchObject({ data: TOKENS.slice(0, 10), total: 23 });
    expect(sent).toEqual([{ operationName: 'AccessTokens', variables: { userId: 'u1' } }]);
  });

  test('a later page holds its slice, the last what is left, and a page past the end is empty', async () => {
    expect((await page(2, 10)).data.map((token) => token.id)).toEqual(TOKENS.slice(10, 20).map((token) => token.id));
    expect((await page(3, 10)).data.map((token) => token.id)).toEqual(['t20', 't21', 't22']);
    expect(await page(4, 10)).toEqual({ data: [], total: 23 });
  });

  test('a user without tokens is an empty list; any target but userId is refused', async () => {
    expect(await page(1, 10, 'userId', 'u2')).toEqual({ data: [], total: 0 });
    await expect(page(1, 10, 'ownerId')).rejects.toThrow('accessTokens cannot be filtered by ownerId');
  });

  test('other resources go to the provider it decorates, untouched', async () => {
    const result = await provider().getManyReference('expiringLinks', { target: 'ownerId', id: 'u1', pagination: { page: 1, perPage: 5 }, sort: { field: 'createdAt', order: 'DESC' }, filter: {} });

    expect(result).toEqual({ data: [{ id: 'from expiringLinks' }], total: 1 });
    expect(sent).toEqual([]);
  });
});

describe('revoking', () => {
  test('revokeAccessToken sends the id', async () => {
    expect(await provider().revokeAccessToken('t3')).toBe(true);
    expect(revoked).toEqual(['t3']);
    expect(sent).toEqual([{ operationName: 'RevokeAccessToken', variables: { id: 't3' } }]);
  });

  test('a refusal reaches react-admin as the same HttpError the CRUD verbs give', async () => {
    const rejection = await provider().revokeAccessToken('gone').catch((error: unknown) => error);

    expect(toHttpError(rejection)).toMatchObject({ message: 'Access token not found', status: 404, body: { code: 'NOT_FOUND' } });
  });
});
