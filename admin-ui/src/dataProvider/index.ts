import { ApolloClient, HttpLink, InMemoryCache, from } from '@apollo/client';
import { setContext } from '@apollo/client/link/context';
import buildGraphQLProvider from 'ra-data-graphql';
import { getToken } from '../authProvider';
import { buildQuery } from './buildQuery';
import { toHttpError } from './errors';
import { withLinkMethods } from './links';
import { withStats } from './stats';
import { withTokenMethods } from './tokens';
import type { AppDataProvider } from './methods';

const authLink = setContext((_, { headers }) => {
  const token = getToken();
  return { headers: { ...headers, ...(token ? { authorization: `Bearer ${token}` } : {}) } };
});

export const client = new ApolloClient({
  link: from([authLink, new HttpLink({ uri: '/graphql' })]),
  cache: new InMemoryCache(),
  defaultOptions: { query: { fetchPolicy: 'network-only', errorPolicy: 'none' }, mutate: { errorPolicy: 'none' } },
});

const graphQLProvider = buildGraphQLProvider({
  client,
  // the app's operations are typed ahead of time against schema.graphql; production servers turn
  // introspection off, so nothing here may depend on it
  introspection: false,
  buildQuery: () => buildQuery,
});

/**
 * ra-data-graphql's provider with the app's link, token and stats methods, decorated so errors reach
 * react-admin in the shape it acts on.
 */
export const dataProvider: AppDataProvider = new Proxy(withStats(withTokenMethods(withLinkMethods(graphQLProvider, client), client), client), {
  get(target, property, receiver) {
    const value = Reflect.get(target, property, receiver);
    if (typeof value !== 'function') return value;
    return (...args: unknown[]) =>
      Promise.resolve(value.apply(target, args)).catch((error: unknown) => {
        throw toHttpError(error);
      });
  },
}) as AppDataProvider;
