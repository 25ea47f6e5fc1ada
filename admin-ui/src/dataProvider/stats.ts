import type { ApolloClient } from '@apollo/client';
import type { DataProvider } from 'react-admin';
import { AdminStatsQuery } from './documents';
import { fromApolloError } from './errors';
import type { StatsMethods } from './methods';

/** Decorates the provider with the dashboard's query, which is no resource of react-admin's. */
export function withStats<P extends DataProvider>(provider: P, client: ApolloClient<object>): P & StatsMethods {
  return {
    ...provider,
    async adminStats() {
      try {
        const { data } = await client.query({ query: AdminStatsQuery });
        return data.adminStats;
      } catch (error) {
        throw fromApolloError(error as Parameters<typeof fromApolloError>[0]);
      }
    },
  };
}
