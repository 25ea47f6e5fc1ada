import { Field, ObjectType } from 'type-graphql';

@ObjectType({ simpleResolvers: true, description: 'What a list can paint before the thumbnail arrives.' })
export class Placeholder {
  @Field(() => String, { description: 'The image as a ThumbHash, base64: render it at any size with the thumbhash library.' })
  thumbhash!: string;

  @Field(() => String, { description: 'The ThumbHash rendered as a PNG of at most 32 px a side, as a data URL under 1 KB: usable as an `src` at once.' })
  dataUrl!: string;

  @Field(() => String, { description: 'The most common colour, `#rrggbb`: a plain background while the thumbnail loads.' })
  dominantColor!: string;
}
