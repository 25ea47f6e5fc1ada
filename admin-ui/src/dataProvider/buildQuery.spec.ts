import { readFileSync } from 'node:fs';
import { buildSchema, execute, getOperationAST, getVariableValues, Kind, validate } from 'graphql';
import type { BuildQueryResult } from 'ra-data-graphql';
import { describe, expect, test } from 'vitest';
import { buildQuery } from './buildQuery';

// the reviewed artifact the server emits: when it changes in a way the app does not follow, these fail
const schema = buildSchema(readFileSync(new URL('../../../schema.graphql', import.meta.url), 'utf8'));

/** What ra-data-graphql reads: it sends `query` or `mutate` by the first definition's kind. */
function operationOf({ query }: BuildQueryResult) {
  const first = query.definitions[0];
  if (first?.kind !== Kind.OPERATION_DEFINITION) throw new Error('The operation must come first in the document');
  const fields = first.selectionSet.selections.map((s) =>
    s.kind !== Kind.FIELD ? s.kind : s.alias ? `${s.alias.value}: ${s.name.value}` : s.name.value,
  );
  return { type: first.operation, name: first.name?.value, fields };
}

/**
 * Checks the call the way the server would (document valid, variables coercible), then answers it from
 * `root` and returns the JSON the client would receive, so parseResponse reads the real selection.
 */
async function serve(result: BuildQueryResult, root: Record<string, unknown>) {
  expect(validate(schema, result.query).map(String)).toEqual([]);
  const definitions = getOperationAST(result.query)?.variableDefinitions ?? [];
  expect(getVariableValues(schema, definitions, result.variables ?? {}).errors?.map(String) ?? []).toEqual([]);
  const response = await execute({ schema, document: result.query, rootValue: root, variableValues: result.variables });
  expect(response.errors?.map(String) ?? []).toEqual([]);
  return JSON.parse(JSON.stringify(response));
}

const stamps = { createdAt: '2024-05-01T10:00:00.000Z', updatedAt: '2024-05-02T10:00:00.000Z' };
const tier = {
  id: 't1',
  name: 'Pro',
  thumbnailHeights: [100, 400],
  originalLink: true,
  expiringLinks: false,
  maxImages: 500,
  maxBytes: null,
  uploadsPerHour: 60,
  builtin: false,
  userCount: 3,
  ...stamps,
};
const usage = { images: 12, bytes: 3_500_000_000, uploadsLastHour: 2 };
const user = { id: 'u1', username: 'ada', isAdmin: false, tier, usage, ...stamps };
const thumbnail = { size: 100, width: 133, height: 100, url: '/files/thumb-token' };
const image = { id: 'i1', filename: 'cat.png', format: 'PNG', width: 800, height: 600, bytes: 5120, owner: user, thumbnails: [thumbnail], placeholder: { dominantColor: '#336699' }, ...stamps };
// what the server answers for the fragments the app selects
const userRecord = { id: 'u1', username: 'ada', isAdmin: false, tier: { id: 't1', name: 'Pro' }, tierId: 't1', usage, ...stamps };
const imageRecord = {
  id: 'i1',
  filename: 'cat.png',
  format: 'PNG',
  width: 800,
  height: 600,
  bytes: 5120,
  createdAt: stamps.createdAt,
  owner: { id: 'u1', username: 'ada' },
  ownerId: 'u1',
  thumbnails: [thumbnail],
  thumbnailUrl: '/files/thumb-token',
  placeholder: { dominantColor: '#336699' },
  placeholderColor: '#336699',
};

describe('buildQuery: tiers', () => {
  test('GET_LIST pages by offset/limit, sorts by the enum and passes only the filters TierFilter has', async () => {
    const result = buildQuery('GET_LIST', 'tiers', {
      pagination: { page: 3, perPage: 10 },
      sort: { field: 'name', order: 'DESC' },
      filter: { q: 'pro', builtin: false, userCount: 3 },
    });

    expect(operationOf(result)).toEqual({ type: 'query', name: 'Tiers', fields: ['tiers'] });
    expect(result.variables).toEqual({ offset: 20, limit: 10, sort: { field: 'NAME', order: 'DESC' }, filter: { q: 'pro', builtin: false } });
    const response = await serve(result, { tiers: { nodes: [tier], totalCount: 21 } });
    expect(result.parseResponse(response)).toEqual({ data: [tier], total: 21 });
  });

  test('GET_LIST without options asks for the first 25, unsorted and unfiltered', async () => {
    const result = buildQuery('GET_LIST', 'tiers', {});

    expect(result.variables).toEqual({ offset: 0, limit: 25 });
    const response = await serve(result, { tiers: { nodes: [], totalCount: 0 } });
    expect(result.parseResponse(response)).toEqual({ data: [], total: 0 });
  });

  test('GET_LIST drops a sort field the server cannot sort by and an empty search box', async () => {
    const result = buildQuery('GET_LIST', 'tiers', {
      pagination: { page: 1, perPage: 50 },
      sort: { field: 'userCount', order: 'ASC' },
      filter: { q: '' },
    });

    expect(result.variables).toEqual({ offset: 0, limit: 50 });
    await serve(result, { tiers: { nodes: [], totalCount: 0 } });
  });

  test('GET_MANY asks for exactly the ids, as strings, and returns no total', async () => {
    const result = buildQuery('GET_MANY', 'tiers', { ids: ['t1', 2] });

    expect(operationOf(result)).toEqual({ type: 'query', name: 'Tiers', fields: ['tiers'] });
    expect(result.variables).toEqual({ offset: 0, limit: 2, filter: { ids: ['t1', '2'] } });
    const response = await serve(result, { tiers: { nodes: [tier], totalCount: 1 } });
    expect(result.parseResponse(response)).toEqual({ data: [tier] });
  });

  test('GET_ONE reads tier(id)', async () => {
    const result = buildQuery('GET_ONE', 'tiers', { id: 7 });

    expect(operationOf(result)).toEqual({ type: 'query', name: 'Tier', fields: ['tier'] });
    expect(result.variables).toEqual({ id: '7' });
    const response = await serve(result, { tier });
    expect(result.parseResponse(response)).toEqual({ data: tier });
  });

  test('CREATE sends only the fields CreateTierInput takes', async () => {
    const result = buildQuery('CREATE', 'tiers', {
      data: { name: 'Pro', thumbnailHeights: [100, 400], originalLink: true, expiringLinks: false, maxImages: 500, maxBytes: null, builtin: true },
    });

    expect(operationOf(result)).toEqual({ type: 'mutation', name: 'CreateTier', fields: ['createTier'] });
    // a limit left empty is null: no limit
    expect(result.variables).toEqual({ input: { name: 'Pro', thumbnailHeights: [100, 400], originalLink: true, expiringLinks: false, maxImages: 500, maxBytes: null } });
    const response = await serve(result, { createTier: tier });
    expect(result.parseResponse(response)).toEqual({ data: tier });
  });

  test('UPDATE strips the read-only fields the edit form carries along', async () => {
    const result = buildQuery('UPDATE', 'tiers', {
      id: 't1',
      data: { ...tier, name: 'Gold', thumbnailHeights: [200] },
      previousData: tier,
    });

    expect(operationOf(result)).toEqual({ type: 'mutation', name: 'UpdateTier', fields: ['updateTier'] });
    expect(result.variables).toEqual({
      id: 't1',
      input: { name: 'Gold', thumbnailHeights: [200], originalLink: true, expiringLinks: false, maxImages: 500, maxBytes: null, uploadsPerHour: 60 },
    });
    const response = await serve(result, { updateTier: { ...tier, name: 'Gold', thumbnailHeights: [200] } });
    expect(result.parseResponse(response)).toEqual({ data: { ...tier, name: 'Gold', thumbnailHeights: [200] } });
  });

  test('DELETE answers with the record react-admin had, or just its id', async () => {
    const result = buildQuery('DELETE', 'tiers', { id: 't1', previousData: tier });

    expect(operationOf(result)).toEqual({ type: 'mutation', name: 'DeleteTier', fields: ['deleteTier'] });
    expect(result.variables).toEqual({ id: 't1' });
    const response = await serve(result, { deleteTier: true });
    expect(result.parseResponse(response)).toEqual({ data: tier });
    expect(buildQuery('DELETE', 'tiers', { id: 't9' }).parseResponse(response)).toEqual({ data: { id: 't9' } });
  });

  test('DELETE_MANY sends one aliased deleteTier per id in one request', async () => {
    const result = buildQuery('DELETE_MANY', 'tiers', { ids: ['t1', 't2', 3] });

    expect(operationOf(result)).toEqual({
      type: 'mutation',
      name: 'DeleteMany',
      fields: ['d0: deleteTier', 'd1: deleteTier', 'd2: deleteTier'],
    });
    expect(result.variables).toEqual({ id0: 't1', id1: 't2', id2: '3' });
    const response = await serve(result, { deleteTier: true });
    expect(response.data).toEqual({ d0: true, d1: true, d2: true });
    expect(result.parseResponse(response)).toEqual({ data: ['t1', 't2', '3'] });
  });
});

describe('buildQuery: users', () => {
  test('GET_LIST filters by username search, tier and admin flag, and sorts by the enum', async () => {
    const result = buildQuery('GET_LIST', 'users', {
      pagination: { page: 2, perPage: 25 },
      sort: { field: 'username', order: 'ASC' },
      filter: { q: 'ad', tierId: 't1', isAdmin: false, password: 'x' },
    });

    expect(operationOf(result)).toEqual({ type: 'query', name: 'Users', fields: ['users'] });
    expect(result.variables).toEqual({
      offset: 25,
      limit: 25,
      sort: { field: 'USERNAME', order: 'ASC' },
      filter: { q: 'ad', tierId: 't1', isAdmin: false },
    });
    const response = await serve(result, { users: { nodes: [user], totalCount: 26 } });
    expect(result.parseResponse(response)).toEqual({ data: [userRecord], total: 26 });
  });

  test.each([
    ['isAdmin', 'IS_ADMIN'],
    ['createdAt', 'CREATED_AT'],
    ['updatedAt', 'UPDATED_AT'],
  ])('GET_LIST sorts %s as %s', async (field, serverField) => {
    const result = buildQuery('GET_LIST', 'users', { sort: { field, order: 'DESC' } });

    expect(result.variables).toEqual({ offset: 0, limit: 25, sort: { field: serverField, order: 'DESC' } });
    await serve(result, { users: { nodes: [], totalCount: 0 } });
  });

  test('GET_MANY resolves the ids a ReferenceField asks for', async () => {
    const result = buildQuery('GET_MANY', 'users', { ids: ['u1'] });

    expect(result.variables).toEqual({ offset: 0, limit: 1, filter: { ids: ['u1'] } });
    const response = await serve(result, { users: { nodes: [user], totalCount: 1 } });
    expect(result.parseResponse(response)).toEqual({ data: [userRecord] });
  });

  test('GET_MANY_REFERENCE adds the target to the filter: the users of a tier', async () => {
    const result = buildQuery('GET_MANY_REFERENCE', 'users', {
      target: 'tierId',
      id: 't1',
      pagination: { page: 1, perPage: 5 },
      sort: { field: 'createdAt', order: 'DESC' },
      filter: { q: 'ad' },
    });

    expect(operationOf(result)).toEqual({ type: 'query', name: 'Users', fields: ['users'] });
    expect(result.variables).toEqual({
      offset: 0,
      limit: 5,
      sort: { field: 'CREATED_AT', order: 'DESC' },
      filter: { q: 'ad', tierId: 't1' },
    });
    const response = await serve(result, { users: { nodes: [user], totalCount: 1 } });
    expect(result.parseResponse(response)).toEqual({ data: [userRecord], total: 1 });
  });

  test('GET_ONE flattens the tier to tierId for the form', async () => {
    const result = buildQuery('GET_ONE', 'users', { id: 'u1' });

    expect(operationOf(result)).toEqual({ type: 'query', name: 'User', fields: ['user'] });
    expect(result.variables).toEqual({ id: 'u1' });
    const response = await serve(result, { user });
    expect(result.parseResponse(response)).toEqual({ data: userRecord });
  });

  test('CREATE sends the password and tierId in CreateUserInput', async () => {
    const result = buildQuery('CREATE', 'users', {
      data: { username: 'ada', password: 'correct horse', tierId: 't1', isAdmin: false },
    });

    expect(operationOf(result)).toEqual({ type: 'mutation', name: 'CreateUser', fields: ['createUser'] });
    expect(result.variables).toEqual({ input: { username: 'ada', password: 'correct horse', tierId: 't1', isAdmin: false } });
    const response = await serve(result, { createUser: user });
    expect(result.parseResponse(response)).toEqual({ data: userRecord });
  });

  test('UPDATE with an empty password keeps it, and drops the nested tier the record carries', async () => {
    const result = buildQuery('UPDATE', 'users', {
      id: 'u1',
      data: { ...userRecord, tierId: 't2', isAdmin: true, password: '' },
      previousData: userRecord,
    });

    expect(operationOf(result)).toEqual({ type: 'mutation', name: 'UpdateUser', fields: ['updateUser'] });
    expect(result.variables).toEqual({ id: 'u1', input: { username: 'ada', tierId: 't2', isAdmin: true } });
    const response = await serve(result, { updateUser: { ...user, isAdmin: true } });
    expect(result.parseResponse(response)).toEqual({ data: { ...userRecord, isAdmin: true } });
  });

  test('UPDATE with a new password sends it', async () => {
    const result = buildQuery('UPDATE', 'users', { id: 'u1', data: { ...userRecord, password: 'a new secret' }, previousData: userRecord });

    expect(result.variables).toEqual({ id: 'u1', input: { username: 'ada', password: 'a new secret', tierId: 't1', isAdmin: false } });
    await serve(result, { updateUser: user });
  });

  test('DELETE and DELETE_MANY use deleteUser', async () => {
    const one = buildQuery('DELETE', 'users', { id: 'u1', previousData: userRecord });
    const many = buildQuery('DELETE_MANY', 'users', { ids: ['u1', 'u2'] });

    expect(operationOf(one)).toEqual({ type: 'mutation', name: 'DeleteUser', fields: ['deleteUser'] });
    expect(one.variables).toEqual({ id: 'u1' });
    expect(one.parseResponse(await serve(one, { deleteUser: true }))).toEqual({ data: userRecord });
    expect(operationOf(many)).toEqual({ type: 'mutation', name: 'DeleteMany', fields: ['d0: deleteUser', 'd1: deleteUser'] });
    expect(many.variables).toEqual({ id0: 'u1', id1: 'u2' });
    expect(many.parseResponse(await serve(many, { deleteUser: true }))).toEqual({ data: ['u1', 'u2'] });
  });
});

describe('buildQuery: images', () => {
  test('GET_LIST reads adminImages, filtered by name and owner, with the first thumbnail as thumbnailUrl', async () => {
    const result = buildQuery('GET_LIST', 'images', {
      pagination: { page: 1, perPage: 10 },
      sort: { field: 'bytes', order: 'DESC' },
      filter: { q: 'cat', ownerId: 'u1', format: 'PNG' },
    });

    expect(operationOf(result)).toEqual({ type: 'query', name: 'AdminImages', fields: ['adminImages'] });
    expect(result.variables).toEqual({ offset: 0, limit: 10, sort: { field: 'BYTES', order: 'DESC' }, filter: { q: 'cat', ownerId: 'u1' } });
    const response = await serve(result, { adminImages: { nodes: [image, { ...image, id: 'i2', thumbnails: [] }], totalCount: 2 } });
    expect(result.parseResponse(response)).toEqual({
      data: [imageRecord, { ...imageRecord, id: 'i2', thumbnails: [], thumbnailUrl: null }],
      total: 2,
    });
  });

  test.each([
    ['createdAt', 'CREATED_AT'],
    ['filename', 'FILENAME'],
  ])('GET_LIST sorts %s as %s', async (field, serverField) => {
    const result = buildQuery('GET_LIST', 'images', { sort: { field, order: 'ASC' } });

    expect(result.variables).toEqual({ offset: 0, limit: 25, sort: { field: serverField, order: 'ASC' } });
    await serve(result, { adminImages: { nodes: [], totalCount: 0 } });
  });

  test('GET_MANY and GET_MANY_REFERENCE (the images of a user) read adminImages', async () => {
    const many = buildQuery('GET_MANY', 'images', { ids: ['i1'] });
    const reference = buildQuery('GET_MANY_REFERENCE', 'images', { target: 'ownerId', id: 'u1', pagination: { page: 2, perPage: 10 } });
    const root = { adminImages: { nodes: [image], totalCount: 11 } };

    expect(many.variables).toEqual({ offset: 0, limit: 1, filter: { ids: ['i1'] } });
    expect(many.parseResponse(await serve(many, root))).toEqual({ data: [imageRecord] });
    expect(reference.variables).toEqual({ offset: 10, limit: 10, filter: { ownerId: 'u1' } });
    expect(reference.parseResponse(await serve(reference, root))).toEqual({ data: [imageRecord], total: 11 });
  });

  test.each([
    ['GET_ONE', { id: 'i1' }, 'images getOne is not supported'],
    ['CREATE', { data: {} }, 'images create is not supported'],
    ['UPDATE', { id: 'i1', data: {} }, 'images update is not supported'],
    ['DELETE', { id: 'i1' }, 'images delete is not supported'],
    ['DELETE_MANY', { ids: ['i1'] }, 'images deleteMany is not supported'],
  ])('%s is refused: the admin app only lists images', (fetchType, params, message) => {
    expect(() => buildQuery(fetchType, 'images', params)).toThrow(new Error(message));
  });
});

describe('buildQuery: audit events', () => {
  const event = { id: 'e1', occurredAt: stamps.createdAt, actorId: 'u1', actorName: 'ada', action: 'TIER_UPDATE', targetType: 'TIER', targetId: 't1' };
  const answer = { ...event, before: { thumbnailHeights: [100] }, after: { thumbnailHeights: [100, 200] }, requestId: 'r1', clientAddress: '127.0.0.1' };

  test('GET_LIST reads auditEvents newest first by default, with only AuditEventFilter’s fields', async () => {
    const result = buildQuery('GET_LIST', 'auditEvents', {
      pagination: { page: 1, perPage: 25 },
      sort: { field: 'occurredAt', order: 'DESC' },
      filter: { action: 'TIER_UPDATE', from: '2024-05-01T00:00:00.000Z', before: 'x' },
    });
    expect(result.variables).toEqual({ offset: 0, limit: 25, sort: { field: 'OCCURRED_AT', order: 'DESC' }, filter: { action: 'TIER_UPDATE', from: '2024-05-01T00:00:00.000Z' } });
    const response = await serve(result, { auditEvents: { nodes: [answer], totalCount: 1 } });
    expect(result.parseResponse(response)).toEqual({ data: [answer], total: 1 });
  });

  test('GET_MANY_REFERENCE is a record’s history: its id as targetId, its kind as targetType', async () => {
    const result = buildQuery('GET_MANY_REFERENCE', 'auditEvents', {
      target: 'targetId',
      id: 't1',
      filter: { targetType: 'TIER' },
      pagination: { page: 1, perPage: 10 },
      sort: { field: 'occurredAt', order: 'DESC' },
    });
    expect(result.variables).toMatchObject({ limit: 10, filter: { targetType: 'TIER', targetId: 't1' } });
    await serve(result, { auditEvents: { nodes: [answer], totalCount: 1 } });
  });

  test('nothing writes an event: create, update and delete are refused', () => {
    for (const verb of ['CREATE', 'UPDATE', 'DELETE', 'DELETE_MANY']) expect(() => buildQuery(verb, 'auditEvents', { id: 'e1', ids: ['e1'], data: {} })).toThrow(/not supported/);
  });
});

describe('buildQuery: what the app does not map', () => {
  test.each(['tiers', 'users', 'images'])('UPDATE_MANY on %s is refused by name', (resource) => {
    expect(() => buildQuery('UPDATE_MANY', resource, { ids: ['1'], data: {} })).toThrow(
      new Error(`UPDATE_MANY is not supported for ${resource}`),
    );
  });

  test('an unknown resource is refused before the verb is looked at', () => {
    expect(() => buildQuery('GET_LIST', 'links', {})).toThrow(new Error('Unknown resource links'));
  });
});
