import { Arg, Authorized, Ctx, Field, ID, Int, Mutation, ObjectType, Resolver } from 'type-graphql';
import { viewerOf, type Context } from '../graphql/context.js';
import { MAX_EXPIRES_IN, MIN_EXPIRES_IN } from './link.service.js';

@ObjectType({ description: 'A link to the original image that stops working at expiresAt.' })
export class ExpiringLink {
  @Field(() => String)
  url!: string;

  @Field(() => Date)
  expiresAt!: Date;
}

@Resolver()
export class LinkResolver {
  @Authorized()
  @Mutation(() => ExpiringLink, { description: `Tiers with expiring links only; expiresIn is ${MIN_EXPIRES_IN}..${MAX_EXPIRES_IN} seconds.` })
  createExpiringLink(
    @Arg('imageId', () => ID) imageId: string,
    @Arg('expiresIn', () => Int) expiresIn: number,
    @Ctx() ctx: Context,
  ): Promise<ExpiringLink> {
    return ctx.services.links.createExpiring(viewerOf(ctx), imageId, expiresIn);
  }
}
