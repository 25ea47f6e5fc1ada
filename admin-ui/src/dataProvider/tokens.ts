import type { ApolloClient } from '@apollo/client';
import type { DataProvider, GetManyReferenceParams, GetManyReferenceResult } from 'react-admin';
import { AccessTokensQuery, RevokeAccessTokenMutation } from './documents';
import { fromApolloError } from './errors';
import { ACCESS_TOKENS, type AccessTokenRecord, type TokenMethods } from './methods';

/**
 * Decorates the provider: a user's access tokens are one unpaged list on the server (at most 50, newest
 * first), so react-admin's pages are cut from it here; revoking is a method of its own.
 */
export function withTokenMethods<P extends DataProvider>(provider: P, client: ApolloClient<object>): P & TokenMethods {
  const send = async <T>(operation: () => Promise<T>): Promise<T> => {
    try {
      return await operation();
    } catch (error) {
      throw fromApolloError(error as Parameters<typeof fromApolloError>[0]);
    }
  };

  const usersTokens = async ({ target, id, pagination }: GetManyReferenceParams): Promise<GetManyReferenceResult<AccessTokenRecord>> => {
    if (target !== 'userId') throw new Error(`${ACCESS_TOKENS} cannot be filtered by ${target}`);
    const { data } = await send(() => client.query({ query: AccessTokensQuery, variables: { userId: String(id) } }));
    const offset = (pagination.page - 1) * pagination.perPage;
    return { data: data.accessTokens.slice(offset, offset + pagination.perPage), total: data.accessTokens.length };
  };

  return {
    ...provider,
    getManyReference: (resource: string, params: GetManyReferenceParams) => (resource === ACCESS_TOKENS ? usersTokens(params) : provider.getManyReference(resource, params)),
    async revokeAccessToken(id: string) {
      const { data } = await send(() => client.mutate({ mutation: RevokeAccessTokenMutation, variables: { id } }));
      return data!.revokeAccessToken;
    },
  };
}
