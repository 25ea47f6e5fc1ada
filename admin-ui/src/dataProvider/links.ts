import type { ApolloClient } from '@apollo/client';
import type { DataProvider, GetManyReferenceParams, GetManyReferenceResult } from 'react-admin';
import { ExpiringLinksQuery, RevokeExpiringLinkMutation, RotateImageLinksMutation } from './documents';
import { fromApolloError } from './errors';
import { EXPIRING_LINKS, type ExpiringLinkRecord, type LinkMethods } from './methods';

const MAX_FIRST = 100;

interface Chunk {
  rows: ExpiringLinkRecord[];
  endCursor: string | null;
  hasNextPage: boolean;
  total: number;
}

/**
 * Page `page` of `perPage` rows from a list the server pages by cursor alone: walks from the start in
 * steps of at most 100 and keeps that page's rows. Active links live at most 30 000 s, so a user
 * rarely has more than a few pages and the walk is one request in the usual case.
 */
export async function pageByCursor(
  fetchChunk: (first: number, after: string | undefined) => Promise<Chunk>,
  { page, perPage }: { page: number; perPage: number },
): Promise<GetManyReferenceResult<ExpiringLinkRecord>> {
  const offset = (page - 1) * perPage;
  const rows: ExpiringLinkRecord[] = [];
  let after: string | undefined;
  let total = 0;
  do {
    const chunk = await fetchChunk(Math.min(MAX_FIRST, offset + perPage - rows.length), after);
    rows.push(...chunk.rows);
    total = chunk.total;
    if (!chunk.hasNextPage || chunk.endCursor === null) break;
    after = chunk.endCursor;
  } while (rows.length < offset + perPage);
  return { data: rows.slice(offset, offset + perPage), total };
}

/**
 * Decorates the CRUD provider: expiring links are read by cursor (their server list has no offset, so
 * buildQuery cannot map them), and revoke and rotate become methods of their own.
 */
export function withLinkMethods(provider: DataProvider, client: ApolloClient<object>): DataProvider & LinkMethods {
  const send = async <T>(operation: () => Promise<T>): Promise<T> => {
    try {
      return await operation();
    } catch (error) {
      throw fromApolloError(error as Parameters<typeof fromApolloError>[0]);
    }
  };

  const activeLinks = async (params: GetManyReferenceParams): Promise<GetManyReferenceResult> => {
    const id = String(params.id);
    const filter = params.target === 'ownerId' ? { ownerId: id } : params.target === 'imageId' ? { imageId: id } : undefined;
    if (!filter) throw new Error(`${EXPIRING_LINKS} cannot be filtered by ${params.target}`);
    return pageByCursor(async (first, after) => {
      const { data } = await send(() => client.query({ query: ExpiringLinksQuery, variables: { ...filter, first, after } }));
      const { edges, pageInfo, totalCount } = data.expiringLinks;
      return { rows: edges.map((edge) => edge.node), endCursor: pageInfo.endCursor ?? null, hasNextPage: pageInfo.hasNextPage, total: totalCount };
    }, params.pagination);
  };

  return {
    ...provider,
    getManyReference: (resource, params) => (resource === EXPIRING_LINKS ? activeLinks(params) : provider.getManyReference(resource, params)),
    async revokeExpiringLink(id) {
      const { data } = await send(() => client.mutate({ mutation: RevokeExpiringLinkMutation, variables: { id } }));
      return data!.revokeExpiringLink;
    },
    async rotateImageLinks(imageId) {
      const { data } = await send(() => client.mutate({ mutation: RotateImageLinksMutation, variables: { imageId } }));
      return data!.rotateImageLinks;
    },
  };
}
