import { randomUUID } from 'node:crypto';
import { Entity, Index, ManyToOne, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import { Field, ID, ObjectType } from 'type-graphql';
import { accessTrigger, authTrigger } from '../db/access-triggers.js';
import { Node } from '../shared/relay.js';
import { Tier } from '../tiers/tier.entity.js';

@ObjectType({ simpleResolvers: true, implements: Node, description: 'An account. Admins create them; there is no sign-up.' })
@Entity({
  tableName: 'users',
  triggers: [
    accessTrigger('access_deleted', 'user', ['delete']),
    accessTrigger('access_tier_changed', 'user', ['update'], 'old.tier_id is distinct from new.tier_id'),
    // every change: the signed-in user each instance caches (name, admin flag, tier, token version)
    authTrigger('user', ['update', 'delete']),
  ],
})
export class User {
  @Field(() => ID, { description: 'The user’s id, unique across every type.' })
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Field(() => String, { description: 'Lower case; usernames are case-insensitive.' })
  @Property({ type: 'text' })
  @Unique({ name: 'users_username_unique' })
  username!: string;

  // never a @Field: the hash must not be reachable from the API
  @Property({ type: 'text', hidden: true, lazy: true })
  passwordHash!: string;

  /** Bumped on password change so tokens issued before it stop working. */
  @Property({ type: 'integer' })
  tokenVersion: number = 0;

  @Field(() => Boolean, { description: 'Admins manage users and tiers.' })
  @Property({ type: 'boolean' })
  isAdmin: boolean = false;

  @Field(() => Tier, { description: 'What the user gets: thumbnails and kinds of link.' })
  @ManyToOne(() => Tier, { deleteRule: 'restrict' })
  @Index({ name: 'users_tier_id_index' })
  tier!: Tier;

  @Field(() => Date, { description: 'When it was created.' })
  @Property({ type: 'timestamptz' })
  createdAt: Date = new Date();

  @Field(() => Date, { description: 'When it last changed.' })
  @Property({ type: 'timestamptz' })
  updatedAt: Date = new Date();
}
