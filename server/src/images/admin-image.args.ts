import { ArgsType, Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { PageArgs, SortOrder } from '../shared/list-args.js';
import { Image } from './image.entity.js';

export enum ImageSortField {
  CREATED_AT = 'createdAt',
  BYTES = 'bytes',
  FILENAME = 'filename',
}
registerEnumType(ImageSortField, { name: 'ImageSortField' });

@InputType()
export class ImageSort {
  @Field(() => ImageSortField)
  field!: ImageSortField;

  @Field(() => SortOrder, { defaultValue: SortOrder.DESC })
  order: SortOrder = SortOrder.DESC;
}

@InputType()
export class ImageFilter {
  @Field(() => ID, { nullable: true })
  ownerId?: string;

  @Field(() => String, { nullable: true, description: 'Part of the file name, any case.' })
  q?: string;

  @Field(() => [ID], { nullable: true })
  ids?: string[];
}

@ArgsType()
export class ImageListArgs extends PageArgs {
  @Field(() => ImageSort, { nullable: true })
  sort?: ImageSort;

  @Field(() => ImageFilter, { nullable: true })
  filter?: ImageFilter;
}

@ObjectType({ simpleResolvers: true })
export class ImageList {
  @Field(() => [Image])
  nodes!: Image[];

  @Field(() => Int)
  totalCount!: number;
}
