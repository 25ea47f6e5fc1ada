import { ArrayType } from '@mikro-orm/core';
import { Entity, Enum, Index, ManyToOne, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { accessTrigger } from '../db/access-triggers.js';
import { TALLY_TRIGGERS } from '../db/tally-triggers.js';
import { usageTriggerDefs } from '../db/usage-triggers.js';
import { Node } from '../shared/relay.js';
import type { PlaceholderData } from './placeholder.js';
import { Placeholder } from './placeholder.type.js';

const MISSING_PLACEHOLDER: PlaceholderData = { thumbhash: '', dataUrl: 'data:image/gif;base64,R0lGODlhAQABAIAAAICAgAAAACwAAAAAAQABAAACAkQBADs=', dominantColor: '#808080' };
import { User } from '../users/user.entity.js';

export enum ImageFormat {
  PNG = 'PNG',
  JPEG = 'JPEG',
}
registerEnumType(ImageFormat, {
  name: 'ImageFormat',
  description: 'Decided from the bytes, never from the name.',
  valuesConfig: { PNG: { description: 'Portable Network Graphics.' }, JPEG: { description: 'JPEG (JFIF or Exif).' } },
});

// simpleResolvers: no field has guards or middleware, so graphql-js reads the properties directly instead of
// type-graphql wrapping each of a page's ~650 fields (field resolvers in ImageResolver are unaffected)
@ObjectType({ simpleResolvers: true, implements: Node, description: 'An uploaded image. Its links depend on the owner’s current tier.' })
@Entity({
  tableName: 'images',
  triggers: [
    accessTrigger('access_deleted', 'image', ['delete']),
    accessTrigger('access_links_rotated', 'image', ['update'], 'old.link_version is distinct from new.link_version'),
    ...TALLY_TRIGGERS,
    ...usageTriggerDefs,
  ],
})
// the same bytes once per owner; also the index behind imagesBySha256. Rows from before hashing have
// no hash (null), and nulls never collide
@Unique({ name: 'images_owner_sha256_unique', properties: ['owner', 'sha256'] })
// serves the keyset-paginated list: an owner's images, newest first, ties broken by id
@Index({
  name: 'images_owner_created_id_index',
  expression: 'create index "images_owner_created_id_index" on "images" ("owner_id", "created_at" desc, "id" desc)',
})
// the placeholder backfill's work list: empty once every image has one
@Index({
  name: 'images_placeholder_missing_index',
  expression: 'create index "images_placeholder_missing_index" on "images" ("id") where "placeholder_hash" is null',
})
// the location backfill's work list: empty once every stored original has been through stripping
@Index({
  name: 'images_location_unstripped_index',
  expression: 'create index "images_location_unstripped_index" on "images" ("id") where not "location_stripped"',
})
export class Image {
  @Field(() => ID, { description: 'The image’s id, unique across every type.' })
  @PrimaryKey({ type: 'uuid' })
  id!: string;

  @ManyToOne(() => User, { deleteRule: 'cascade' })
  owner!: User;

  @Field(() => String, { description: 'The name the file was uploaded with, cleaned; display only.' })
  @Property({ type: 'text' })
  filename!: string;

  @Field(() => ImageFormat, { description: 'The format of the original and of its thumbnails.' })
  @Enum({ items: () => ImageFormat })
  format!: ImageFormat;

  @Field(() => Int, { description: 'Pixels, after EXIF orientation.' })
  @Property({ type: 'integer' })
  width!: number;

  @Field(() => Int, { description: 'Pixels, after EXIF orientation.' })
  @Property({ type: 'integer' })
  height!: number;

  @Field(() => Int, { description: 'Size of the original file as stored (after location stripping, see sha256).' })
  @Property({ type: 'integer' })
  bytes!: number;

  /**
   * Hex SHA-256 of the bytes as they were uploaded, computed while they streamed in: what a client can
   * compute before uploading. Location stripping may rewrite the stored original afterwards, so this is
   * not always the hash of what a link serves.
   */
  @Field(() => String, {
    nullable: true,
    description:
      'SHA-256 (64 lower-case hex digits) of the file exactly as it was uploaded, before location stripping: what a client can compute before uploading (see imagesBySha256). Null for images stored before hashes were kept.',
  })
  @Property({ type: 'text', nullable: true })
  sha256: string | null = null;

  // milliseconds, like a JS Date: the list cursor carries this value and must match it exactly
  @Field(() => Date, { description: 'When it was uploaded.' })
  @Property({ type: 'timestamptz', length: 3 })
  createdAt!: Date;

  /** Heights whose thumbnail files are written; not in the API. Changed by SQL, never by a stale entity. */
  @Property({ type: new ArrayType<number>((value) => Number(value)), columnType: 'int[]', defaultRaw: `'{}'`, lazy: true })
  storedHeights: number[] = [];

  /** Bytes of each stored thumbnail, in the order of `storedHeights`; kept in step with it by the same SQL. Not in the API. */
  @Property({ type: new ArrayType<number>((value) => Number(value)), columnType: 'int[]', defaultRaw: `'{}'`, lazy: true })
  thumbnailSizes: number[] = [];

  /** Part of every permanent link's signed payload: bumping it (rotateImageLinks) makes the old URLs invalid. */
  @Property({ type: 'integer', default: 0 })
  linkVersion: number = 0;

  // the placeholder, computed at upload (or by the backfill for older images) and read with every list row
  @Property({ type: 'text', nullable: true })
  placeholderHash: string | null = null;

  @Property({ type: 'text', nullable: true })
  placeholderDataUrl: string | null = null;

  @Property({ type: 'text', nullable: true })
  placeholderColor: string | null = null;

  /** The stored placeholder, or `undefined` for an image from before placeholders (see Placeholders). */
  storedPlaceholder(): PlaceholderData | undefined {
    if (this.placeholderHash === null || this.placeholderDataUrl === null || this.placeholderColor === null) return undefined;
    return { thumbhash: this.placeholderHash, dataUrl: this.placeholderDataUrl, dominantColor: this.placeholderColor };
  }

  // declared for the schema; its value is the getter defined below the class. A getter decorated with
  // @Field becomes a type-graphql field resolver, called per row with the resolver machinery; a plain
  // field is read by GraphQL's own property access, as any column is. The services fill images from
  // before placeholders before they hand them out; one whose files are gone gets a neutral grey.
  @Field(() => Placeholder, { description: 'Paint this first: it is part of the row, so a list costs nothing more for it.' })
  declare readonly placeholder: PlaceholderData;

  setPlaceholder(placeholder: PlaceholderData | undefined): void {
    this.placeholderHash = placeholder?.thumbhash ?? null;
    this.placeholderDataUrl = placeholder?.dataUrl ?? null;
    this.placeholderColor = placeholder?.dominantColor ?? null;
  }

  /**
   * Whether the stored original has been through location stripping (ORIGINAL_LOCATION=strip), at
   * upload or by the backfill for originals stored before it; not in the API.
   */
  @Property({ type: 'boolean', default: false, lazy: true })
  locationStripped: boolean = false;
}

// configurable, as a class's own getter would be: MikroORM wraps every accessor of an entity's prototype
Object.defineProperty(Image.prototype, 'placeholder', {
  configurable: true,
  get(this: Image): PlaceholderData {
    return this.storedPlaceholder() ?? MISSING_PLACEHOLDER;
  },
});
