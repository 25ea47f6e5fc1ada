import { Entity, ManyToOne, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import { Field, ID, ObjectType } from 'type-graphql';
import { authTrigger } from '../db/access-triggers.js';
import { User } from '../users/user.entity.js';

/**
 * A personal access token: a credential for scripts that works until it expires or is revoked, apart
 * from the password and its sessions. Only the token's hash is stored; deleting the row revokes it.
 */
@ObjectType({ simpleResolvers: true, description: 'A personal access token (for scripts); its secret was shown once, when it was created.' })
@Entity({ tableName: 'access_tokens', triggers: [authTrigger('token', ['delete'])] })
export class AccessToken {
  @Field(() => ID, { description: 'What revokeAccessToken takes; not the secret.' })
  @PrimaryKey({ type: 'uuid' })
  id!: string;

  @ManyToOne(() => User, { deleteRule: 'cascade', index: 'access_tokens_user_id_index' })
  user!: User;

  @Field(() => String, { description: 'What its owner called it, to tell their tokens apart.' })
  @Property({ type: 'text' })
  name!: string;

  // never a @Field: SHA-256 of the secret, what a request's token is looked up by
  @Property({ type: 'text', hidden: true })
  @Unique({ name: 'access_tokens_token_hash_unique' })
  tokenHash!: string;

  @Field(() => Date, { description: 'When it was created.' })
  @Property({ type: 'timestamptz' })
  createdAt!: Date;

  @Field(() => Date, { nullable: true, description: 'When it stops working; null: never.' })
  @Property({ type: 'timestamptz', nullable: true })
  expiresAt: Date | null = null;

  @Field(() => Date, { nullable: true, description: 'When a request last used it, to the minute; null: never used.' })
  @Property({ type: 'timestamptz', nullable: true })
  lastUsedAt: Date | null = null;
}
