import type { DataProvider } from 'react-admin';
import type { AdminStatsQuery, ExpiringLinksQuery } from '../gql/graphql';

// Types and names only: the login page imports this (through lazy.ts) and must not pull in the
// GraphQL documents or Apollo Client.

export type ExpiringLinkRecord = ExpiringLinksQuery['expiringLinks']['edges'][number]['node'];

/** What admins do to links beyond react-admin's verbs; components reach it with useDataProvider<AppDataProvider>(). */
export interface LinkMethods {
  /** The link answers 410 from now on; revoking a revoked link changes nothing. */
  revokeExpiringLink(id: string): Promise<{ id: string; revokedAt: string | null }>;
  /** New permanent URLs for the image: every old one answers 403. Its expiring links are not affected. */
  rotateImageLinks(imageId: string): Promise<{ id: string }>;
}

export type AdminStatsRecord = AdminStatsQuery['adminStats'];

/** The dashboard's one query. */
export interface StatsMethods {
  adminStats(): Promise<AdminStatsRecord>;
}

export type AppDataProvider = DataProvider & LinkMethods & StatsMethods;

/** The resource under which react-admin reads expiring links (a ReferenceManyField's reference). */
export const EXPIRING_LINKS = 'expiringLinks';

const CRUD_METHODS = ['getList', 'getOne', 'getMany', 'getManyReference', 'create', 'update', 'updateMany', 'delete', 'deleteMany'] as const;
// a Record, so that a method added to LinkMethods but not named here fails the type check
const LINK_METHODS: Record<keyof LinkMethods, true> = { revokeExpiringLink: true, rotateImageLinks: true };
const STATS_METHODS: Record<keyof StatsMethods, true> = { adminStats: true };

/** Every method of the app's data provider. */
export const METHODS: ReadonlyArray<keyof AppDataProvider> = [
  ...CRUD_METHODS,
  ...(Object.keys(LINK_METHODS) as Array<keyof LinkMethods>),
  ...(Object.keys(STATS_METHODS) as Array<keyof StatsMethods>),
];
