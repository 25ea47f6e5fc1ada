import { randomBytes } from 'node:crypto';
import type { GqlResponse, TestServer } from './test-server.js';

/** The admin API's operations, as the admin specs call them. */
export const TIER_FIELDS = 'id name thumbnailHeights originalLink expiringLinks builtin';
export const CREATE_TIER = `mutation($input: CreateTierInput!) { createTier(input: $input) { ${TIER_FIELDS} } }`;
export const UPDATE_TIER = `mutation($id: ID!, $input: UpdateTierInput!) { updateTier(id: $id, input: $input) { ${TIER_FIELDS} } }`;
export const DELETE_TIER = `mutation($id: ID!) { deleteTier(id: $id) }`;
export const TIER = `query($id: ID!) { tier(id: $id) { ${TIER_FIELDS} } }`;
export const TIERS = `query($offset: Int, $limit: Int, $sort: TierSort, $filter: TierFilter) {
  tiers(offset: $offset, limit: $limit, sort: $sort, filter: $filter) { totalCount nodes { id name } } }`;
export const USER_FIELDS = 'id username isAdmin tier { id name }';
export const CREATE_USER = `mutation($input: CreateUserInput!) { createUser(input: $input) { ${USER_FIELDS} } }`;
export const UPDATE_USER = `mutation($id: ID!, $input: UpdateUserInput!) { updateUser(id: $id, input: $input) { ${USER_FIELDS} } }`;
export const DELETE_USER = `mutation($id: ID!) { deleteUser(id: $id) }`;
export const USERS = `query($filter: UserFilter, $sort: UserSort) { users(filter: $filter, sort: $sort, limit: 100) { totalCount nodes { id username } } }`;
export const ME = `{ me { ${USER_FIELDS} } }`;
export const tok = () => randomBytes(4).toString('hex');
export const code = (result: GqlResponse) => result.errors?.[0]?.extensions?.code;
export const names = (result: GqlResponse, list: 'tiers' | 'users') => result.data[list].nodes.map((n: { name?: string; username?: string }) => n.name ?? n.username);

/** Everything an admin operation could change, to prove a refused call changed nothing. */
export const snapshot = async (server: TestServer) => ({
  tiers: await server.sql('select * from tiers order by id'),
  users: await server.sql('select * from users order by id'),
  images: await server.sql('select * from images order by id'),
});
