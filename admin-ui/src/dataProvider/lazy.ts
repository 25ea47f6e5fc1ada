import type { DataProvider } from 'react-admin';

const METHODS = ['getList', 'getOne', 'getMany', 'getManyReference', 'create', 'update', 'updateMany', 'delete', 'deleteMany'] as const;

let loading: Promise<DataProvider> | undefined;
const load = () => (loading ??= import('./index.js').then((module) => module.dataProvider));

/**
 * The data provider, loaded on its first call: Apollo Client and the GraphQL documents are a third of
 * the app's code and the login page needs none of it, so they arrive in their own chunk after login.
 */
export const lazyDataProvider = Object.fromEntries(
  METHODS.map((method) => [method, async (...args: unknown[]) => ((await load())[method] as (...a: unknown[]) => Promise<unknown>)(...args)]),
) as unknown as DataProvider;
