import { Entity, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { Field, ID, Int, ObjectType } from 'type-graphql';
import { accessTrigger } from '../db/access-triggers.js';
import { Image } from '../images/image.entity.js';
import { Node } from '../shared/relay.js';
import { User } from '../users/user.entity.js';

/**
 * A link its owner handed out for a while: one size of one image, until it expires or is revoked.
 * The URL carries only the link's id and its signature; what it grants is read from this row (through
 * the access cache), so revoking it takes effect at once.
 */
@ObjectType({ simpleResolvers: true, implements: Node, description: 'A link to one size of an image that stops working at expiresAt, or when revoked.' })
@Entity({ tableName: 'expiring_links', triggers: [accessTrigger('access_changed', 'link', ['update', 'delete'])] })
// the owner's list, newest first, ties broken by id
@Index({
  name: 'expiring_links_owner_created_id_index',
  expression: 'create index "expiring_links_owner_created_id_index" on "expiring_links" ("owner_id", "created_at" desc, "id" desc)',
})
export class ExpiringLink {
  @Field(() => ID, { description: 'The link’s id, as in its URL.' })
  @PrimaryKey({ type: 'uuid' })
  id!: string;

  @ManyToOne(() => Image, { deleteRule: 'cascade', index: 'expiring_links_image_id_index' })
  image!: Image;

  @ManyToOne(() => User, { deleteRule: 'cascade' })
  owner!: User;

  @Field(() => Int, { nullable: true, description: 'The thumbnail height it serves; null for the original.' })
  @Property({ type: 'integer', nullable: true })
  size: number | null = null;

  @Field(() => Date, { description: 'When it was made.' })
  @Property({ type: 'timestamptz', length: 3 })
  createdAt!: Date;

  @Field(() => Date, { description: 'When it stops working (server clock, no grace).' })
  @Property({ type: 'timestamptz', length: 3, index: 'expiring_links_expires_at_index' })
  expiresAt!: Date;

  @Field(() => Date, { nullable: true, description: 'When its owner (or an admin) revoked it; it answers 410 LINK_REVOKED from then on.' })
  @Property({ type: 'timestamptz', length: 3, nullable: true })
  revokedAt: Date | null = null;
}
