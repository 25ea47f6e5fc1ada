import { randomUUID } from 'node:crypto';
import { ArrayType, BigIntType } from '@mikro-orm/core';
import { Entity, Index, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { Field, Float, ID, Int, ObjectType } from 'type-graphql';
import { accessTrigger, authTrigger } from '../db/access-triggers.js';
import { Node } from '../shared/relay.js';

@ObjectType({ simpleResolvers: true, implements: Node, description: 'What the users on a tier get: which thumbnails, and which kinds of link.' })
@Entity({ tableName: 'tiers', triggers: [accessTrigger('access_changed', 'tier', ['update', 'delete']), authTrigger('tier', ['update', 'delete'])] })
// names are unique regardless of case: "Gold" and "gold" would confuse every admin
@Index({ name: 'tiers_name_lower_unique', expression: 'create unique index "tiers_name_lower_unique" on "tiers" (lower("name"))' })
export class Tier {
  @Field(() => ID, { description: 'The tier’s id, unique across every type.' })
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Field(() => String, { description: 'Unique, any case.' })
  @Property({ type: 'text' })
  name!: string;

  @Field(() => [Int], { description: 'Thumbnail heights in pixels, ascending.' })
  @Property({ type: new ArrayType<number>((value) => Number(value)), columnType: 'int[]' })
  thumbnailHeights!: number[];

  @Field(() => Boolean, { description: 'Whether images get a link to the original file.' })
  @Property({ type: 'boolean' })
  originalLink: boolean = false;

  @Field(() => Boolean, { description: 'Whether users may create links that expire.' })
  @Property({ type: 'boolean' })
  expiringLinks: boolean = false;

  @Field(() => Int, { nullable: true, description: 'Most images a user on this tier may have; null for no limit. Uploads past it get QUOTA_EXCEEDED.' })
  @Property({ type: 'integer', nullable: true })
  maxImages: number | null = null;

  @Field(() => Float, {
    nullable: true,
    description: 'Most bytes of originals (as stored) a user on this tier may have, a whole number; null for no limit. Uploads past it get QUOTA_EXCEEDED.',
  })
  @Property({ type: new BigIntType('number'), nullable: true })
  maxBytes: number | null = null;

  @Field(() => Int, {
    nullable: true,
    description: 'Most new images a user on this tier may store in any hour (a sliding window, deleted ones included); null for no limit. Uploads past it get RATE_LIMITED.',
  })
  @Property({ type: 'integer', nullable: true })
  uploadsPerHour: number | null = null;

  @Field(() => Boolean, { description: 'Builtin tiers (Basic, Premium, Enterprise) cannot be deleted.' })
  @Property({ type: 'boolean' })
  builtin: boolean = false;

  @Field(() => Date, { description: 'When it was created.' })
  @Property({ type: 'timestamptz' })
  createdAt: Date = new Date();

  @Field(() => Date, { description: 'When it last changed.' })
  @Property({ type: 'timestamptz' })
  updatedAt: Date = new Date();
}

export const BUILTIN_TIER_IDS = {
  basic: '00000000-0000-4000-8000-000000000001',
  premium: '00000000-0000-4000-8000-000000000002',
  enterprise: '00000000-0000-4000-8000-000000000003',
} as const;
