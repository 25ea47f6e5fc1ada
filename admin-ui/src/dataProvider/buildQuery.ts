import type { DocumentNode } from 'graphql';
import { parse } from 'graphql';
import type { BuildQueryResult } from 'ra-data-graphql';
import {
  AuditEventsQuery,
  CreateTierMutation,
  CreateUserMutation,
  DeleteTierMutation,
  DeleteUserMutation,
  ImagesQuery,
  TierQuery,
  TiersQuery,
  UpdateTierMutation,
  UpdateUserMutation,
  UserQuery,
  UsersQuery,
} from './documents';

type Row = Record<string, unknown> & { id: string };
type Params = Record<string, any>;

interface ResourceOperations {
  list: DocumentNode;
  /** The field of the list query's result. */
  listField: string;
  one?: DocumentNode;
  oneField?: string;
  create?: DocumentNode;
  update?: DocumentNode;
  delete?: DocumentNode;
  /** The server's name of the delete mutation, for batching deleteMany into one request. */
  deleteField?: string;
  /** react-admin sort fields → the server's sort enum. */
  sortFields: Record<string, string>;
  /** react-admin filter → the server's typed filter input; nothing passes through unlisted. */
  filter(filter: Params): Record<string, unknown>;
  /** A server object → the flat record react-admin shows. */
  toRecord(node: any): Row;
  /** Form data → the server's input, with only the fields it takes. */
  toInput?(data: Params, previous?: Params): Record<string, unknown>;
}

const pick = (source: Params, keys: string[]) =>
  Object.fromEntries(keys.filter((key) => source[key] !== undefined && source[key] !== '').map((key) => [key, source[key]]));

const RESOURCES: Record<string, ResourceOperations> = {
  tiers: {
    list: TiersQuery,
    listField: 'tiers',
    one: TierQuery,
    oneField: 'tier',
    create: CreateTierMutation,
    update: UpdateTierMutation,
    delete: DeleteTierMutation,
    deleteField: 'deleteTier',
    sortFields: { name: 'NAME', createdAt: 'CREATED_AT', updatedAt: 'UPDATED_AT' },
    filter: (f) => pick(f, ['q', 'builtin', 'ids']),
    toRecord: (tier) => ({ ...tier }),
    // an emptied limit arrives as null, which the server reads as "no limit"
    toInput: (data) => pick(data, ['name', 'thumbnailHeights', 'originalLink', 'expiringLinks', 'maxImages', 'maxBytes', 'uploadsPerHour']),
  },
  users: {
    list: UsersQuery,
    listField: 'users',
    one: UserQuery,
    oneField: 'user',
    create: CreateUserMutation,
    update: UpdateUserMutation,
    delete: DeleteUserMutation,
    deleteField: 'deleteUser',
    sortFields: { username: 'USERNAME', isAdmin: 'IS_ADMIN', createdAt: 'CREATED_AT', updatedAt: 'UPDATED_AT' },
    filter: (f) => pick(f, ['q', 'tierId', 'isAdmin', 'ids']),
    toRecord: (user) => ({ ...user, tierId: user.tier?.id }),
    // an empty password field on edit means "keep the password"
    toInput: (data) => pick(data, ['username', 'password', 'tierId', 'isAdmin']),
  },
  images: {
    list: ImagesQuery,
    listField: 'adminImages',
    sortFields: { createdAt: 'CREATED_AT', bytes: 'BYTES', filename: 'FILENAME' },
    filter: (f) => pick(f, ['q', 'ownerId', 'ids']),
    toRecord: (image) => ({ ...image, ownerId: image.owner?.id, thumbnailUrl: image.thumbnails?.[0]?.url ?? null, placeholderColor: image.placeholder?.dominantColor ?? null }),
  },
  // read only: the API has no way to change an event
  auditEvents: {
    list: AuditEventsQuery,
    listField: 'auditEvents',
    sortFields: { occurredAt: 'OCCURRED_AT', action: 'ACTION' },
    filter: (f) => pick(f, ['actorId', 'targetType', 'targetId', 'action', 'from', 'to']),
    toRecord: (event) => ({ ...event }),
  },
};

export const RESOURCE_NAMES = Object.keys(RESOURCES);

function operations(resource: string): ResourceOperations {
  const ops = RESOURCES[resource];
  if (!ops) throw new Error(`Unknown resource ${resource}`);
  return ops;
}

function listVariables(ops: ResourceOperations, params: Params, extraFilter: Params = {}) {
  const page = params.pagination?.page ?? 1;
  const perPage = params.pagination?.perPage ?? 25;
  const sortField = params.sort?.field ? ops.sortFields[params.sort.field] : undefined;
  const filter = ops.filter({ ...params.filter, ...extraFilter });
  return {
    offset: (page - 1) * perPage,
    limit: perPage,
    ...(sortField ? { sort: { field: sortField, order: params.sort.order === 'DESC' ? 'DESC' : 'ASC' } } : {}),
    ...(Object.keys(filter).length > 0 ? { filter } : {}),
  };
}

function required<T>(value: T | undefined, what: string): T {
  if (!value) throw new Error(`${what} is not supported`);
  return value;
}

/** Maps each react-admin data provider call to one operation of the server's schema. */
export function buildQuery(fetchType: string, resource: string, params: Params): BuildQueryResult {
  const ops = operations(resource);
  const parseList = (response: any) => {
    const { nodes, totalCount } = response.data[ops.listField];
    return { data: nodes.map(ops.toRecord), total: totalCount };
  };
  switch (fetchType) {
    case 'GET_LIST':
      return { query: ops.list, variables: listVariables(ops, params), parseResponse: parseList };
    case 'GET_MANY':
      return {
        query: ops.list,
        variables: { offset: 0, limit: Math.min(params.ids.length, 100), filter: { ids: params.ids.map(String) } },
        parseResponse: (response) => ({ data: parseList(response).data }),
      };
    case 'GET_MANY_REFERENCE':
      return { query: ops.list, variables: listVariables(ops, params, { [params.target]: String(params.id) }), parseResponse: parseList };
    case 'GET_ONE':
      return {
        query: required(ops.one, `${resource} getOne`),
        variables: { id: String(params.id) },
        parseResponse: (response) => ({ data: ops.toRecord(response.data[ops.oneField!]) }),
      };
    case 'CREATE':
      return {
        query: required(ops.create, `${resource} create`),
        variables: { input: ops.toInput!(params.data) },
        parseResponse: (response) => ({ data: ops.toRecord(Object.values(response.data)[0]) }),
      };
    case 'UPDATE':
      return {
        query: required(ops.update, `${resource} update`),
        variables: { id: String(params.id), input: ops.toInput!(params.data, params.previousData) },
        parseResponse: (response) => ({ data: ops.toRecord(Object.values(response.data)[0]) }),
      };
    case 'DELETE':
      return {
        query: required(ops.delete, `${resource} delete`),
        variables: { id: String(params.id) },
        parseResponse: () => ({ data: params.previousData ?? { id: params.id } }),
      };
    case 'DELETE_MANY': {
      const field = required(ops.deleteField, `${resource} deleteMany`);
      const ids: string[] = params.ids.map(String);
      // one request, one aliased mutation per id: GraphQL runs them in order
      const query = parse(
        `mutation DeleteMany(${ids.map((_, i) => `$id${i}: ID!`).join(', ')}) { ${ids.map((_, i) => `d${i}: ${field}(id: $id${i})`).join(' ')} }`,
      );
      return { query, variables: Object.fromEntries(ids.map((id, i) => [`id${i}`, id])), parseResponse: () => ({ data: ids }) };
    }
    default:
      throw new Error(`${fetchType} is not supported for ${resource}`);
  }
}
