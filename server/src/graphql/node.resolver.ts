import { Arg, Authorized, Ctx, ID, Query, Resolver } from 'type-graphql';
import { Image } from '../images/image.entity.js';
import { ExpiringLink } from '../links/expiring-link.entity.js';
import { isUuid } from '../shared/ids.js';
import { Node } from '../shared/relay.js';
import { Tier } from '../tiers/tier.entity.js';
import { User } from '../users/user.entity.js';
import { viewerOf, type Context } from './context.js';

// ids are UUIDs, unique across tables, so one round trip says which table holds one
const KIND_OF_ID = `select 'image' as kind from images where id = $1 union all select 'user' from users where id = $1 union all select 'tier' from tiers where id = $1 union all select 'link' from expiring_links where id = $1 limit 1`;

/**
 * Relay's object refetching: `node(id:)` answers whatever the viewer may read under that id, and null
 * for anything else, so another user's image looks exactly like a missing one. Expiring links: your
 * own, or anyone's for admins (who may list and revoke them too). Users and tiers: yourself and your
 * own tier, or any of them for admins.
 */
@Resolver()
export class NodeResolver {
  @Authorized()
  @Query(() => Node, { nullable: true, description: 'The image, expiring link, user or tier with this id that you may read; null for anything else.' })
  async node(@Arg('id', () => ID, { description: 'Any id this API gave you.' }) id: string, @Ctx() ctx: Context): Promise<Node | null> {
    if (!isUuid(id)) return null;
    const viewer = viewerOf(ctx);
    const kind = (await ctx.em.getConnection().execute<Array<{ kind: string }>>(KIND_OF_ID.replaceAll('$1', '?'), [id, id, id, id]))[0]?.kind;
    if (kind === 'image') {
      const image = await ctx.em.findOne(Image, { id, owner: viewer.id }, { populate: ['owner.tier'] });
      return image && (await ctx.services.images.withPlaceholders([image]))[0]!;
    }
    if (kind === 'link') return ctx.em.findOne(ExpiringLink, viewer.isAdmin ? { id } : { id, owner: viewer.id }, { populate: ['image.owner.tier'] });
    if (kind === 'user') return viewer.isAdmin ? ctx.em.findOne(User, id, { populate: ['tier'] }) : id === viewer.id ? viewer : null;
    if (kind === 'tier') return viewer.isAdmin ? ctx.em.findOne(Tier, id) : id === viewer.tier.id ? viewer.tier : null;
    return null;
  }
}
