import { ArgsType, Field, Float, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { PageArgs, SortOrder } from '../shared/list-args.js';
import { Tier } from './tier.entity.js';

export enum TierSortField {
  NAME = 'name',
  CREATED_AT = 'createdAt',
  UPDATED_AT = 'updatedAt',
}
registerEnumType(TierSortField, { name: 'TierSortField' });

@InputType()
export class TierSort {
  @Field(() => TierSortField)
  field!: TierSortField;

  @Field(() => SortOrder, { defaultValue: SortOrder.ASC })
  order: SortOrder = SortOrder.ASC;
}

@InputType()
export class TierFilter {
  @Field(() => String, { nullable: true, description: 'Part of the name, any case.' })
  q?: string;

  @Field(() => [ID], { nullable: true })
  ids?: string[];

  @Field(() => Boolean, { nullable: true })
  builtin?: boolean;
}

@ArgsType()
export class TierListArgs extends PageArgs {
  @Field(() => TierSort, { nullable: true })
  sort?: TierSort;

  @Field(() => TierFilter, { nullable: true })
  filter?: TierFilter;
}

@ObjectType({ simpleResolvers: true })
export class TierList {
  @Field(() => [Tier])
  nodes!: Tier[];

  @Field(() => Int)
  totalCount!: number;
}

@InputType()
export class CreateTierInput {
  @Field(() => String)
  name!: string;

  @Field(() => [Int], { description: '1 to 16 distinct heights, each 1..4096.' })
  thumbnailHeights!: number[];

  @Field(() => Boolean, { nullable: true, defaultValue: false })
  originalLink: boolean = false;

  @Field(() => Boolean, { nullable: true, defaultValue: false })
  expiringLinks: boolean = false;

  @Field(() => Int, { nullable: true, description: 'Most images per user, at least 1; null or left out for no limit.' })
  maxImages?: number | null;

  @Field(() => Float, { nullable: true, description: 'Most bytes of originals per user, a whole number of at least 1; null or left out for no limit.' })
  maxBytes?: number | null;

  @Field(() => Int, { nullable: true, description: 'Most new images per user in any hour, at least 1; null or left out for no limit.' })
  uploadsPerHour?: number | null;
}

@InputType()
export class UpdateTierInput {
  @Field(() => String, { nullable: true })
  name?: string;

  @Field(() => [Int], { nullable: true })
  thumbnailHeights?: number[];

  @Field(() => Boolean, { nullable: true })
  originalLink?: boolean;

  @Field(() => Boolean, { nullable: true })
  expiringLinks?: boolean;

  @Field(() => Int, { nullable: true, description: 'At least 1; null removes the limit, left out keeps it. A limit below what users already have keeps their images and refuses their uploads until they are under it.' })
  maxImages?: number | null;

  @Field(() => Float, { nullable: true, description: 'A whole number of at least 1; null removes the limit, left out keeps it.' })
  maxBytes?: number | null;

  @Field(() => Int, { nullable: true, description: 'At least 1; null removes the limit, left out keeps it.' })
  uploadsPerHour?: number | null;
}
