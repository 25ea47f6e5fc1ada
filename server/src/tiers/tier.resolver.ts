import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../graphql/context.js';
import { CreateTierInput, TierList, TierListArgs, UpdateTierInput } from './tier.args.js';
import { Tier } from './tier.entity.js';

@Resolver(() => Tier)
export class TierResolver {
  @Authorized('ADMIN')
  @Query(() => TierList, { description: 'Admin only.' })
  tiers(@Args(() => TierListArgs) args: TierListArgs, @Ctx() ctx: Context): Promise<TierList> {
    return ctx.services.tiers.list(args);
  }

  @Authorized('ADMIN')
  @Query(() => Tier, { description: 'Admin only.' })
  tier(@Arg('id', () => ID, { description: 'The tier’s id.' }) id: string, @Ctx() ctx: Context): Promise<Tier> {
    return ctx.services.tiers.get(id);
  }

  @Authorized('ADMIN')
  @Mutation(() => Tier, { description: 'Admin only: a new tier.' })
  createTier(@Arg('input', () => CreateTierInput, { description: 'The tier.' }) input: CreateTierInput, @Ctx() ctx: Context): Promise<Tier> {
    return ctx.services.tiers.create(input);
  }

  @Authorized('ADMIN')
  @Mutation(() => Tier, { description: 'Admin only: changes a tier; its users’ thumbnails follow in the background.' })
  updateTier(
    @Arg('id', () => ID, { description: 'The tier’s id.' }) id: string,
    @Arg('input', () => UpdateTierInput, { description: 'What changes.' }) input: UpdateTierInput,
    @Ctx() ctx: Context): Promise<Tier> {
    return ctx.services.tiers.update(id, input);
  }

  // nullable, so that a user who selects it on their own tier loses this field alone, not the whole answer
  @Authorized('ADMIN')
  @FieldResolver(() => Int, { nullable: true, description: 'Admin only: how many users are on this tier. For anyone else null, with a FORBIDDEN error at this field.' })
  userCount(@Root() tier: Tier, @Ctx() ctx: Context): Promise<number | null> {
    return ctx.loaders.tierUserCount.load(tier.id);
  }

  @Authorized('ADMIN')
  @Mutation(() => Boolean, { description: 'Refused for builtin tiers and tiers that still have users.' })
  deleteTier(@Arg('id', () => ID, { description: 'The tier’s id; a builtin tier or one with users cannot be deleted.' }) id: string, @Ctx() ctx: Context): Promise<boolean> {
    return ctx.services.tiers.delete(id);
  }
}
