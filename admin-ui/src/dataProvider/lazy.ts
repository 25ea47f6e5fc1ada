import { METHODS, type AppDataProvider } from './methods';

let loading: Promise<AppDataProvider> | undefined;
const load = () => (loading ??= import('./index.js').then((module) => module.dataProvider));

/**
 * The data provider, loaded on its first call: Apollo Client and the GraphQL documents are a third of
 * the app's code and the login page needs none of it, so they arrive in their own chunk after login.
 */
export const lazyDataProvider = Object.fromEntries(
  METHODS.map((method) => [method, async (...args: unknown[]) => ((await load())[method] as (...a: unknown[]) => Promise<unknown>)(...args)]),
) as unknown as AppDataProvider;
