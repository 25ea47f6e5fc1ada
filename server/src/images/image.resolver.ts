import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { User } from '../users/user.entity.js';
import { ImageList, ImageListArgs } from './admin-image.args.js';
import { ImagesArgs } from './image-list.args.js';
import { viewerOf, type Context } from '../graphql/context.js';
import { Image } from './image.entity.js';
import { ImageConnection, ImageSource, Thumbnail } from './image.types.js';

import { UploadScalar, type UploadRef } from './upload.scalar.js';

@Resolver(() => Image)
export class ImageResolver {
  @Authorized()
  @Mutation(() => Image, {
    description:
      'PNG or JPEG, decided from the bytes. Send `Apollo-Require-Preflight: true`. Bytes you already uploaded return that image (same id, links and createdAt) and store nothing, so a retry is safe. Refused with QUOTA_EXCEEDED or RATE_LIMITED past your tier’s limits.',
  })
  async uploadImage(@Arg('file', () => UploadScalar, { description: 'The file, as the GraphQL multipart request spec sends it.' }) file: UploadRef, @Ctx() ctx: Context): Promise<Image> {
    const [image] = await ctx.services.uploads.upload(viewerOf(ctx), [file]);
    return image!;
  }

  @Authorized()
  @Mutation(() => [Image], {
    description: 'All or nothing: one bad file, or a batch past your tier’s limits, stores none of them. Equal files give the same image, in their places.',
  })
  uploadImages(@Arg('files', () => [UploadScalar], { description: 'Up to MAX_FILES_PER_REQUEST files.' }) files: UploadRef[], @Ctx() ctx: Context): Promise<Image[]> {
    return ctx.services.uploads.upload(viewerOf(ctx), files);
  }

  @Authorized()
  @Query(() => [Image], {
    nullable: 'items',
    description: 'Which of these files you already have, by the SHA-256 of their bytes: your image for each hash, in order, null where you have none. At most 100 hashes.',
  })
  imagesBySha256(
    @Arg('sha256', () => [String], { description: 'Hex SHA-256 digests (64 hex digits, any case) of files as you would upload them.' }) hashes: string[],
    @Ctx() ctx: Context,
  ): Promise<Array<Image | null>> {
    return ctx.services.images.bySha256(viewerOf(ctx), hashes);
  }

  @Authorized()
  @Query(() => ImageConnection, { description: 'Your images, a page at a time (Relay cursor connection): newest first unless `order` says otherwise.' })
  images(@Args(() => ImagesArgs) args: ImagesArgs, @Ctx() ctx: Context): Promise<ImageConnection> {
    // graphql-js hands over null for an argument given as null; the page treats it as not given
    const given = <T>(value: T | null | undefined) => value ?? undefined;
    return ctx.services.images.list(viewerOf(ctx), { ...args, first: given(args.first), last: given(args.last), after: given(args.after), before: given(args.before), filter: given(args.filter) });
  }

  @Authorized('ADMIN')
  @Query(() => ImageList, { description: 'Admin only: every user’s images.' })
  adminImages(@Args(() => ImageListArgs) args: ImageListArgs, @Ctx() ctx: Context): Promise<ImageList> {
    return ctx.services.images.listAll(args);
  }

  @Authorized()
  @Query(() => Image, { nullable: true, description: 'One of your images; another user’s is NOT_FOUND, like a missing one.' })
  async image(@Arg('id', () => ID, { description: 'The image’s id.' }) id: string, @Ctx() ctx: Context): Promise<Image> {
    return ctx.services.images.get(viewerOf(ctx), id);
  }

  @Authorized()
  @Mutation(() => Boolean, { description: 'Deletes the image and its files; its links stop working.' })
  deleteImage(@Arg('id', () => ID, { description: 'One of your images.' }) id: string, @Ctx() ctx: Context): Promise<boolean> {
    return ctx.services.images.delete(viewerOf(ctx), id);
  }

  @FieldResolver(() => User, { description: 'You, unless you are an admin looking at adminImages.' })
  owner(@Root() image: Image): User {
    return image.owner;
  }

  @FieldResolver(() => [Thumbnail], { description: 'One per height of the owner’s current tier, ascending.' })
  thumbnails(@Root() image: Image, @Ctx() ctx: Context): Thumbnail[] {
    return ctx.services.images.thumbnailsOf(image);
  }

  @FieldResolver(() => String, { nullable: true, description: 'Null unless the owner’s tier has original links.' })
  originalUrl(@Root() image: Image, @Ctx() ctx: Context): string | null {
    return ctx.services.images.originalUrlOf(image);
  }
}

@Resolver(() => Thumbnail)
export class ThumbnailResolver {
  @FieldResolver(() => [ImageSource], { description: 'This thumbnail in every format offered, best first, each at a URL fixed to it; the last is the upload’s own format.' })
  sources(@Root() thumbnail: Thumbnail, @Ctx() ctx: Context): ImageSource[] {
    return ctx.services.images.sourcesOf(thumbnail);
  }
}

@Resolver(() => ImageConnection)
export class ImageConnectionResolver {
  @FieldResolver(() => Int, { description: 'How many images the whole list has, with the same filter; counted only when asked for.' })
  totalCount(@Root() connection: ImageConnection): Promise<number> {
    return connection.countTotal();
  }
}
