import { ArgsType, Field, Float, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { PageArgs, SortOrder } from '../shared/list-args.js';
import { Tier } from './tier.entity.js';

export enum TierSortField {
  NAME = 'name',
  CREATED_AT = 'createdAt',
  UPDATED_AT = 'updatedAt',
}
registerEnumType(TierSortField, {
  name: 'TierSortField',
  description: 'What the tier list sorts by.',
  valuesConfig: { NAME: { description: 'Name.' }, CREATED_AT: { description: 'Creation time.' }, UPDATED_AT: { description: 'Last change.' } },
});

@InputType({ description: 'The order of the tier list; ties are broken by id.' })
export class TierSort {
  @Field(() => TierSortField, { description: 'What to sort by.' })
  field!: TierSortField;

  @Field(() => SortOrder, { defaultValue: SortOrder.ASC, description: 'Which way.' })
  order: SortOrder = SortOrder.ASC;
}

@InputType({ description: 'Narrows the tier list; every field given must match.' })
export class TierFilter {
  @Field(() => String, { nullable: true, description: 'Part of the name, any case.' })
  q?: string;

  @Field(() => [ID], { nullable: true, description: 'Only these tiers (react-admin’s getMany).' })
  ids?: string[];

  @Field(() => Boolean, { nullable: true, description: 'Only builtin tiers, or only custom ones.' })
  builtin?: boolean;
}

@ArgsType()
export class TierListArgs extends PageArgs {
  @Field(() => TierSort, { nullable: true, description: 'By name unless given.' })
  sort?: TierSort;

  @Field(() => TierFilter, { nullable: true, description: 'Every tier unless given.' })
  filter?: TierFilter;
}

@ObjectType({ simpleResolvers: true, description: 'A page of the tier list.' })
export class TierList {
  @Field(() => [Tier], { description: 'The page’s tiers.' })
  nodes!: Tier[];

  @Field(() => Int, { description: 'How many tiers match the filter, over all pages.' })
  totalCount!: number;
}

@InputType({ description: 'A new tier.' })
export class CreateTierInput {
  @Field(() => String, { description: 'Unique, any case; 1 to 64 characters.' })
  name!: string;

  @Field(() => [Int], { description: '1 to 16 distinct heights, each 1..4096.' })
  thumbnailHeights!: number[];

  @Field(() => Boolean, { nullable: true, defaultValue: false, description: 'Whether images get a link to the original file.' })
  originalLink: boolean = false;

  @Field(() => Boolean, { nullable: true, defaultValue: false, description: 'Whether users may create links that expire.' })
  expiringLinks: boolean = false;

  @Field(() => Int, { nullable: true, description: 'Most images per user, at least 1; null or left out for no limit.' })
  maxImages?: number | null;

  @Field(() => Float, { nullable: true, description: 'Most bytes of originals per user, a whole number of at least 1; null or left out for no limit.' })
  maxBytes?: number | null;

  @Field(() => Int, { nullable: true, description: 'Most new images per user in any hour, at least 1; null or left out for no limit.' })
  uploadsPerHour?: number | null;
}

@InputType({ description: 'Changes to a tier; fields left out stay as they are.' })
export class UpdateTierInput {
  @Field(() => String, { nullable: true, description: 'Unique, any case; 1 to 64 characters.' })
  name?: string;

  @Field(() => [Int], { nullable: true, description: '1 to 16 heights of 1 to 4096 px; changing them regenerates thumbnails in the background.' })
  thumbnailHeights?: number[];

  @Field(() => Boolean, { nullable: true, description: 'Whether images get a link to the original file.' })
  originalLink?: boolean;

  @Field(() => Boolean, { nullable: true, description: 'Whether users may create links that expire.' })
  expiringLinks?: boolean;

  @Field(() => Int, { nullable: true, description: 'At least 1; null removes the limit, left out keeps it. A limit below what users already have keeps their images and refuses their uploads until they are under it.' })
  maxImages?: number | null;

  @Field(() => Float, { nullable: true, description: 'A whole number of at least 1; null removes the limit, left out keeps it.' })
  maxBytes?: number | null;

  @Field(() => Int, { nullable: true, description: 'At least 1; null removes the limit, left out keeps it.' })
  uploadsPerHour?: number | null;
}
