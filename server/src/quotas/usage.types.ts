import { Field, Float, Int, ObjectType } from 'type-graphql';

@ObjectType({ simpleResolvers: true, description: 'What a user stores, counted against their tier’s limits (maxImages, maxBytes, uploadsPerHour).' })
export class Usage {
  @Field(() => Int, { description: 'Images stored now.' })
  images!: number;

  @Field(() => Float, { description: 'Bytes of their originals as stored (after location stripping).' })
  bytes!: number;

  @Field(() => Int, { description: 'New images stored in the last hour (by the server’s clock), deleted ones included; what uploadsPerHour limits. Uploads answered with an image you already had do not count.' })
  uploadsLastHour!: number;
}
