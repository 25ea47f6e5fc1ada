import { Arg, Authorized, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { viewerOf, type Context } from '../graphql/context.js';
import { Image } from '../images/image.entity.js';
import { ExpiringLink } from './expiring-link.entity.js';
import { MAX_EXPIRES_IN, MIN_EXPIRES_IN } from './link.service.js';
import { ExpiringLinkConnection } from './link.types.js';

@Resolver(() => ExpiringLink)
export class LinkResolver {
  @Authorized()
  @Mutation(() => ExpiringLink, {
    description: `Tiers with expiring links only; expiresIn is ${MIN_EXPIRES_IN}..${MAX_EXPIRES_IN} seconds. size is one of the tier's thumbnail heights, or null for the original.`,
  })
  createExpiringLink(
    @Arg('imageId', () => ID, { description: 'One of your images.' }) imageId: string,
    @Arg('expiresIn', () => Int, { description: 'Seconds from now until the link stops working.' }) expiresIn: number,
    @Ctx() ctx: Context,
    @Arg('size', () => Int, { nullable: true, description: 'A thumbnail height of your tier; null (the default) for the original.' }) size?: number | null,
  ): Promise<ExpiringLink> {
    return ctx.services.links.createExpiring(viewerOf(ctx), imageId, expiresIn, size ?? null);
  }

  @Authorized()
  @Query(() => ExpiringLinkConnection, { description: 'Your expiring links, newest first: those that still work, or with includeExpired also the expired and revoked ones (kept LINK_RETENTION_DAYS).' })
  expiringLinks(
    @Ctx() ctx: Context,
    @Arg('imageId', () => ID, { nullable: true, description: 'Only the links of this image.' }) imageId?: string | null,
    @Arg('ownerId', () => ID, { nullable: true, description: 'Admins only: another user’s links.' }) ownerId?: string | null,
    @Arg('includeExpired', () => Boolean, { defaultValue: false, description: 'Also the expired and revoked links still kept.' }) includeExpired = false,
    @Arg('first', () => Int, { nullable: true, description: '0 to 100, default 20.' }) first?: number | null,
    @Arg('after', () => String, { nullable: true, description: 'A cursor from this list: the links after it.' }) after?: string | null,
  ): Promise<ExpiringLinkConnection> {
    return ctx.services.links.list(viewerOf(ctx), {
      imageId: imageId ?? undefined,
      ownerId: ownerId ?? undefined,
      includeExpired,
      first: first ?? undefined,
      after: after ?? undefined,
    });
  }

  @Authorized()
  @Mutation(() => ExpiringLink, { description: 'The link answers 410 LINK_REVOKED from now on, on every instance within a second. Revoking it again changes nothing.' })
  revokeExpiringLink(@Arg('id', () => ID, { description: 'The link’s id.' }) id: string, @Ctx() ctx: Context): Promise<ExpiringLink> {
    return ctx.services.links.revoke(viewerOf(ctx), id);
  }

  @Authorized()
  @Mutation(() => Image, { description: 'New permanent URLs for the image; the old ones answer 403 LINK_INVALID. Expiring links are not affected.' })
  rotateImageLinks(@Arg('imageId', () => ID, { description: 'One of your images (any image, for admins).' }) imageId: string, @Ctx() ctx: Context): Promise<Image> {
    return ctx.services.links.rotate(viewerOf(ctx), imageId);
  }

  @FieldResolver(() => String, { description: 'The URL to hand out; it carries only the link’s id and signature.' })
  url(@Root() link: ExpiringLink, @Ctx() ctx: Context): string {
    return ctx.services.links.urlOf(link);
  }

  @FieldResolver(() => Image, { description: 'The image it serves.' })
  image(@Root() link: ExpiringLink): Image {
    return link.image;
  }
}

@Resolver(() => ExpiringLinkConnection)
export class ExpiringLinkConnectionResolver {
  @FieldResolver(() => Int, { description: 'How many links the whole list has, with the same arguments; counted only when asked for.' })
  totalCount(@Root() connection: ExpiringLinkConnection): Promise<number> {
    return connection.countTotal();
  }
}
