import { Authorized, Ctx, Query, Resolver } from 'type-graphql';
import type { Context } from '../graphql/context.js';
import { AdminStats } from './admin-stats.types.js';

@Resolver(() => AdminStats)
export class AdminStatsResolver {
  @Authorized('ADMIN')
  @Query(() => AdminStats, { description: 'Admin only: the system at a glance (storage, uploads per day, tiers, background jobs, top users), for the dashboard.' })
  adminStats(@Ctx() ctx: Context): Promise<AdminStats> {
    return ctx.services.stats.read();
  }
}
