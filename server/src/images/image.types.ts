import { Field, Int, ObjectType } from 'type-graphql';
import { PageInfo } from '../shared/relay.js';
import { Image } from './image.entity.js';

@ObjectType({ simpleResolvers: true, description: 'One thumbnail the owner’s tier provides.' })
export class Thumbnail {
  @Field(() => Int, { description: 'The tier height this thumbnail is made for.' })
  size!: number;

  @Field(() => Int, { description: 'Real width in pixels.' })
  width!: number;

  @Field(() => Int, { description: 'Real height in pixels: the size, or the original’s height if smaller (no upscaling).' })
  height!: number;

  @Field(() => String)
  url!: string;
}

@ObjectType({ simpleResolvers: true, description: 'What a list can paint before the thumbnail arrives.' })
export class Placeholder {
  @Field(() => String, { description: 'The image as a ThumbHash, base64: render it at any size with the thumbhash library.' })
  thumbhash!: string;

  @Field(() => String, { description: 'The ThumbHash rendered as a PNG of at most 32 px a side, as a data URL under 1 KB: usable as an `src` at once.' })
  dataUrl!: string;

  @Field(() => String, { description: 'The most common colour, `#rrggbb`: a plain background while the thumbnail loads.' })
  dominantColor!: string;
}

@ObjectType({ simpleResolvers: true })
export class ImageEdge {
  @Field(() => String)
  cursor!: string;

  @Field(() => Image)
  node!: Image;
}

@ObjectType({ simpleResolvers: true })
export class ImageConnection {
  @Field(() => [ImageEdge])
  edges!: ImageEdge[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;

  /** Counted only when the client asks for totalCount. */
  countTotal!: () => Promise<number>;
}
