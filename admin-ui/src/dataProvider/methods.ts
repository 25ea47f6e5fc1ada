import type { DataProvider } from 'react-admin';
import type { AccessTokensQuery, AdminStatsQuery, ExpiringLinksQuery } from '../gql/graphql';

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

export type AccessTokenRecord = AccessTokensQuery['accessTokens'][number];

/** What admins do to other users' access tokens beyond listing them. */
export interface TokenMethods {
  /** Deletes the token: requests with it answer 401 from now on. */
  revokeAccessToken(id: string): Promise<boolean>;
}

export type AdminStatsRecord = AdminStatsQuery['adminStats'];

/** The dashboard's one query. */
export interface StatsMethods {
  adminStats(): Promise<AdminStatsRecord>;
}

export type AppDataProvider = DataProvider & LinkMethods & TokenMethods & StatsMethods;

/** The resource under which react-admin reads expiring links (a ReferenceManyField's reference). */
export const EXPIRING_LINKS = 'expiringLinks';

/** The resource under which react-admin reads a user's access tokens. */
export const ACCESS_TOKENS = 'accessTokens';

const CRUD_METHODS = ['getList', 'getOne', 'getMany', 'getManyReference', 'create', 'update', 'updateMany', 'delete', 'deleteMany'] as const;
// a Record, so that a method added to LinkMethods but not named here fails the type check
const LINK_METHODS: Record<keyof LinkMethods, true> = { revokeExpiringLink: true, rotateImageLinks: true };
const TOKEN_METHODS: Record<keyof TokenMethods, true> = { revokeAccessToken: true };
const STATS_METHODS: Record<keyof StatsMethods, true> = { adminStats: true };

/** Every method of the app's data provider. */
export const METHODS: ReadonlyArray<keyof AppDataProvider> = [
  ...CRUD_METHODS,
  ...(Object.keys(LINK_METHODS) as Array<keyof LinkMethods>),
  ...(Object.keys(TOKEN_METHODS) as Array<keyof TokenMethods>),
  ...(Object.keys(STATS_METHODS) as Array<keyof StatsMethods>),
];
