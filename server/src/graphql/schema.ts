import type { GraphQLSchema } from 'graphql';
import { buildSchema } from 'type-graphql';
import { authChecker } from './auth-checker.js';
import { AuditResolver } from '../audit/audit.resolver.js';
import { AuthResolver } from '../auth/auth.resolver.js';
import { ImageConnectionResolver, ImageResolver } from '../images/image.resolver.js';
import { ExpiringLinkConnectionResolver, LinkResolver } from '../links/link.resolver.js';
import { TierResolver } from '../tiers/tier.resolver.js';
import { UserResolver } from '../users/user.resolver.js';
import { AdminStatsResolver } from '../stats/admin-stats.resolver.js';
import { NodeResolver } from './node.resolver.js';

let built: Promise<GraphQLSchema> | undefined;

/** The schema is the same for every app in a process, so it is built once. */
export function createSchema(): Promise<GraphQLSchema> {
  built ??= buildSchema({
    resolvers: [AuthResolver, TierResolver, UserResolver, ImageResolver, ImageConnectionResolver, LinkResolver, ExpiringLinkConnectionResolver, AuditResolver, AdminStatsResolver, NodeResolver],
    authChecker,
    authMode: 'error',
    validate: false,
  });
  return built;
}
