import { readFileSync } from 'node:fs';
import { ApolloClient, HttpLink, InMemoryCache } from '@apollo/client';
import { buildSchema, execute, GraphQLError, parse, validate } from 'graphql';
import type { DataProvider } from 'react-admin';
import { beforeEach, describe, expect, test } from 'vitest';
import { toHttpError } from './errors';
import { withLinkMethods } from './links';

// the reviewed artifact the server emits: a document the server would refuse fails here first
const schema = buildSchema(readFileSync(new URL('../../../schema.graphql', import.meta.url), 'utf8'));

interface Sent {
  operationName: string;
  variables: Record<string, unknown>;
}

/** 230 links of one user, newest first as the server lists them; the cursor is the row's index. */
const LINKS = Array.from({ length: 230 }, (_, i) => ({
  id: `l${i}`,
  size: i % 2 ? 200 : null,
  createdAt: new Date(Date.UTC(2026, 5, 1, 12, 0, 230 - i)).toISOString(),
  expiresAt: '2026-06-01T20:00:00.000Z',
  image: { id: 'i1', filename: 'cat.png' },
}));

let sent: Sent[];
let revoked: string[];

/** The server's keyset list over LINKS: `first` rows after the cursor, with the total of all. */
function expiringLinks({ first, after }: { first: number; after?: string }) {
  const start = after === undefined ? 0 : Number(after) + 1;
  const rows = LINKS.slice(start, start + first);
  return {
    edges: rows.map((node, i) => ({ cursor: String(start + i), node: { __typename: 'ExpiringLink', ...node } })),
    pageInfo: { hasNextPage: start + first < LINKS.length, endCursor: rows.length ? String(start + rows.length - 1) : null },
    totalCount: LINKS.length,
  };
}

const root = {
  expiringLinks,
  revokeExpiringLink: ({ id }: { id: string }) => {
    if (!id.startsWith('l')) throw new GraphQLError('Expiring link not found', { extensions: { code: 'NOT_FOUND' } });
    revoked.push(id);
    return { id, revokedAt: '2026-06-01T12:05:00.000Z' };
  },
  rotateImageLinks: ({ imageId }: { imageId: string }) => ({ id: imageId }),
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
  withLinkMethods(crud, new ApolloClient({ link: new HttpLink({ uri: 'http://api.test/graphql', fetch: fakeServer }), cache: new InMemoryCache(), defaultOptions: { query: { fetchPolicy: 'network-only' } } }));

const page = (pageNumber: number, perPage: number, target = 'ownerId') =>
  provider().getManyReference('expiringLinks', { target, id: 'u1', pagination: { page: pageNumber, perPage }, sort: { field: 'createdAt', order: 'DESC' }, filter: {} });

beforeEach(() => {
  sent = [];
  revoked = [];
});

describe('expiring links by cursor, as react-admin pages', () => {
  test('page 1 is one request for that many rows of the user', async () => {
    const result = await page(1, 10);

    // each row as the server sent it (Apollo adds __typename), for the columns to read
    expect(result).toMatchObject({ data: LINKS.slice(0, 10), total: 230 });
    expect(sent).toEqual([{ operationName: 'ExpiringLinks', variables: { ownerId: 'u1', first: 10 } }]);
  });

  test('a later page walks the cursor from the start, at most 100 rows a request', async () => {
    const result = await page(3, 50);

    expect(result.data.map((link) => link.id)).toEqual(LINKS.slice(100, 150).map((link) => link.id));
    expect(result.total).toBe(230);
    expect(sent.map((request) => request.variables)).toEqual([
      { ownerId: 'u1', first: 100 },
      { ownerId: 'u1', first: 50, after: '99' },
    ]);
  });

  test('the last page holds what is left, and a page past the end is empty', async () => {
    expect((await page(3, 100)).data.map((link) => link.id)).toEqual(LINKS.slice(200).map((link) => link.id));
    sent = [];
    expect(await page(9, 50)).toEqual({ data: [], total: 230 });
    // the walk stops where the server says there is no next page
    expect(sent).toHaveLength(3);
  });

  test('an image’s links are asked by imageId; any other target is refused', async () => {
    await page(1, 5, 'imageId');

    expect(sent[0]?.variables).toEqual({ imageId: 'u1', first: 5 });
    await expect(page(1, 5, 'tierId')).rejects.toThrow('expiringLinks cannot be filtered by tierId');
  });

  test('other resources go to the CRUD provider untouched', async () => {
    const result = await provider().getManyReference('users', { target: 'tierId', id: 't1', pagination: { page: 1, perPage: 5 }, sort: { field: 'id', order: 'ASC' }, filter: {} });

    expect(result).toEqual({ data: [{ id: 'from users' }], total: 1 });
    expect(sent).toEqual([]);
  });
});

describe('revoking and rotating', () => {
  test('revokeExpiringLink sends the id and answers when it was revoked', async () => {
    expect(await provider().revokeExpiringLink('l7')).toMatchObject({ id: 'l7', revokedAt: '2026-06-01T12:05:00.000Z' });
    expect(revoked).toEqual(['l7']);
    expect(sent).toEqual([{ operationName: 'RevokeExpiringLink', variables: { id: 'l7' } }]);
  });

  test('a refusal reaches react-admin as the same HttpError the CRUD verbs give', async () => {
    const rejection = await provider().revokeExpiringLink('gone').catch((error: unknown) => error);

    expect(toHttpError(rejection)).toMatchObject({ message: 'Expiring link not found', status: 404, body: { code: 'NOT_FOUND' } });
  });

  test('rotateImageLinks sends one image', async () => {
    expect(await provider().rotateImageLinks('i9')).toMatchObject({ id: 'i9' });
    expect(sent).toEqual([{ operationName: 'RotateImageLinks', variables: { imageId: 'i9' } }]);
  });
});
