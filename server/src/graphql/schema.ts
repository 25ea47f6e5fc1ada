import type { GraphQLSchema } from 'graphql';
import { buildSchema } from 'type-graphql';
import { authChecker } from './auth-checker.js';
import { AccessTokenResolver } from '../auth/access-token.resolver.js';
import { AuditResolver } from '../audit/audit.resolver.js';
import { AuthResolver } from '../auth/auth.resolver.js';
import { ImageConnectionResolver, ImageResolver, ThumbnailResolver } from '../images/image.resolver.js';
import { ExpiringLinkConnectionResolver, LinkResolver } from '../links/link.resolver.js';
import { TierResolver } from '../tiers/tier.resolver.js';
import { UserResolver } from '../users/user.resolver.js';
import { AdminStatsResolver } from '../stats/admin-stats.resolver.js';
import { NodeResolver } from './node.resolver.js';

let built: Promise<GraphQLSchema> | undefined;

/** The schema is the same for every app in a process, so it is built once. */
export function createSchema(): Promise<GraphQLSchema> {
  built ??= buildSchema({
    resolvers: [
      AuthResolver,
      AccessTokenResolver,
      TierResolver,
      UserResolver,
      ImageResolver,
      ImageConnectionResolver,
      ThumbnailResolver,
      LinkResolver,
      ExpiringLinkConnectionResolver,
      AuditResolver,
      AdminStatsResolver,
      NodeResolver,
    ],
    authChecker,
    authMode: 'error',
    validate: false,
  }).then(describeRoots);
  return built;
}

/** type-graphql gives the root types no description of their own. */
function describeRoots(schema: GraphQLSchema): GraphQLSchema {
  schema.getQueryType()!.description = 'What you can read: your images and links, yourself, and (admins) every user, tier and image.';
  schema.getMutationType()!.description = 'What you can change: uploads, links, sign-in, and (admins) users and tiers.';
  return schema;
}
