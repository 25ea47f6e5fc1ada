import { ArgsType, Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { PageArgs, SortOrder } from '../shared/list-args.js';
import { Image } from './image.entity.js';

export enum ImageSortField {
  CREATED_AT = 'createdAt',
  BYTES = 'bytes',
  FILENAME = 'filename',
}
registerEnumType(ImageSortField, {
  name: 'ImageSortField',
  description: 'What the admin image list sorts by.',
  valuesConfig: { CREATED_AT: { description: 'Upload time.' }, BYTES: { description: 'Size of the original.' }, FILENAME: { description: 'File name.' } },
});

@InputType({ description: 'The order of the admin image list; ties are broken by id.' })
export class ImageSort {
  @Field(() => ImageSortField, { description: 'What to sort by.' })
  field!: ImageSortField;

  @Field(() => SortOrder, { defaultValue: SortOrder.DESC, description: 'Which way.' })
  order: SortOrder = SortOrder.DESC;
}

@InputType({ description: 'Narrows the admin image list; every field given must match.' })
export class ImageFilter {
  @Field(() => ID, { nullable: true, description: 'Only this user’s images.' })
  ownerId?: string;

  @Field(() => String, { nullable: true, description: 'Part of the file name, any case.' })
  q?: string;

  @Field(() => [ID], { nullable: true, description: 'Only these images (react-admin’s getMany).' })
  ids?: string[];
}

@ArgsType()
export class ImageListArgs extends PageArgs {
  @Field(() => ImageSort, { nullable: true, description: 'Newest first unless given.' })
  sort?: ImageSort;

  @Field(() => ImageFilter, { nullable: true, description: 'Every image unless given.' })
  filter?: ImageFilter;
}

@ObjectType({ simpleResolvers: true, description: 'A page of the admin image list.' })
export class ImageList {
  @Field(() => [Image], { description: 'The page’s images, with their owners.' })
  nodes!: Image[];

  @Field(() => Int, { description: 'How many images match the filter, over all pages.' })
  totalCount!: number;
}
