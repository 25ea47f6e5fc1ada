import { ArgsType, Field, InputType, Int, registerEnumType } from 'type-graphql';
import { ImageFormat } from './image.entity.js';

export enum ImageOrder {
  NEWEST_FIRST = 'NEWEST_FIRST',
  OLDEST_FIRST = 'OLDEST_FIRST',
}
registerEnumType(ImageOrder, {
  name: 'ImageOrder',
  description: 'The order of your image list; ties in upload time are broken by id.',
  valuesConfig: {
    NEWEST_FIRST: { description: 'Latest upload first.' },
    OLDEST_FIRST: { description: 'Earliest upload first.' },
  },
});

@InputType({ description: 'Narrows your image list; every field given must match.' })
export class ImageListFilter {
  @Field(() => String, { nullable: true, description: 'Part of the file name, any case.' })
  nameContains?: string;

  @Field(() => ImageFormat, { nullable: true, description: 'Only images of this format.' })
  format?: ImageFormat;

  @Field(() => Date, { nullable: true, description: 'Uploaded at or after this instant.' })
  createdFrom?: Date;

  @Field(() => Date, { nullable: true, description: 'Uploaded before this instant.' })
  createdBefore?: Date;
}

/** `images(…)`: Relay cursor pagination in either direction, over a filtered list in either order. */
@ArgsType()
export class ImagesArgs {
  @Field(() => Int, { nullable: true, description: 'Items after `after` (or from the start): 0 to 100, default 20 when neither `first` nor `last` is given.' })
  first?: number;

  @Field(() => String, { nullable: true, description: 'A cursor from this list (any order, same filter): items after it.' })
  after?: string;

  @Field(() => Int, { nullable: true, description: 'Items before `before` (or up to the end): 0 to 100. Not with `first`.' })
  last?: number;

  @Field(() => String, { nullable: true, description: 'A cursor from this list: items before it.' })
  before?: string;

  @Field(() => ImageListFilter, { nullable: true, description: 'Only images matching all of its fields.' })
  filter?: ImageListFilter;

  @Field(() => ImageOrder, { defaultValue: ImageOrder.NEWEST_FIRST, description: 'Newest first unless asked.' })
  order: ImageOrder = ImageOrder.NEWEST_FIRST;
}
