import { Field, Int, ObjectType, registerEnumType } from 'type-graphql';
import { PageInfo } from '../shared/relay.js';
export { Placeholder } from './placeholder.type.js';
import { Image, ImageFormat } from './image.entity.js';

@ObjectType({ simpleResolvers: true, description: 'One thumbnail the owner’s tier provides.' })
export class Thumbnail {
  @Field(() => Int, { description: 'The tier height this thumbnail is made for.' })
  size!: number;

  @Field(() => Int, { description: 'Real width in pixels.' })
  width!: number;

  @Field(() => Int, { description: 'Real height in pixels: the size, or the original’s height if smaller (no upscaling).' })
  height!: number;

  @Field(() => String, { description: 'Answers in the best format the request’s Accept header names (AVIF, WebP), else in the upload’s; sent with `Vary: Accept`.' })
  url!: string;

  /** What `sources` signs its URLs with; not fields. */
  imageId!: string;
  imageFormat!: ImageFormat;
  linkVersion!: number;
}

export enum ThumbnailFormat {
  AVIF = 'AVIF',
  WEBP = 'WEBP',
  JPEG = 'JPEG',
  PNG = 'PNG',
}
registerEnumType(ThumbnailFormat, {
  name: 'ThumbnailFormat',
  description: 'A format a thumbnail can be sent in.',
  valuesConfig: {
    AVIF: { description: 'AV1 image file: the smallest, for browsers that decode it.' },
    WEBP: { description: 'WebP: smaller than JPEG and PNG, keeps alpha.' },
    JPEG: { description: 'The upload’s format, for JPEG uploads.' },
    PNG: { description: 'The upload’s format, for PNG uploads.' },
  },
});

@ObjectType({ simpleResolvers: true, description: 'One thumbnail in one format, for a `<picture>` `<source>`.' })
export class ImageSource {
  @Field(() => ThumbnailFormat, { description: 'The format this URL always answers in.' })
  format!: ThumbnailFormat;

  @Field(() => String, { description: 'Its media type, for the `type` attribute of `<source>`.' })
  mimeType!: string;

  @Field(() => String, { description: 'A URL that answers in this format whatever the Accept header says: for clients behind caches that ignore `Vary`.' })
  url!: string;
}

@ObjectType({ simpleResolvers: true, description: 'One image in a page of them.' })
export class ImageEdge {
  @Field(() => String, { description: 'Its position in the list, for `after` and `before`.' })
  cursor!: string;

  @Field(() => Image, { description: 'The image.' })
  node!: Image;
}

@ObjectType({ simpleResolvers: true, description: 'A page of your images (Relay cursor connection).' })
export class ImageConnection {
  @Field(() => [ImageEdge], { description: 'The page’s images, in the list’s order.' })
  edges!: ImageEdge[];

  @Field(() => PageInfo, { description: 'Where the page sits in the list.' })
  pageInfo!: PageInfo;

  /** Counted only when the client asks for totalCount. */
  countTotal!: () => Promise<number>;
}
