import { ArrayType } from '@mikro-orm/core';
import { Entity, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { User } from '../users/user.entity.js';

/**
 * Images, original bytes and thumbnail bytes per owner and set of stored heights, written only by the
 * triggers on `images` (db/tally-triggers.ts). About one row per user (two while their tier's
 * thumbnails are being regenerated), so the dashboard sums it instead of a million images.
 */
@Entity({ tableName: 'image_tallies' })
export class ImageTally {
  @ManyToOne(() => User, { primary: true, deleteRule: 'cascade' })
  owner!: User;

  @PrimaryKey({ type: new ArrayType<number>((value) => Number(value)), columnType: 'int[]' })
  storedHeights!: number[];

  @Property({ type: 'integer' })
  images!: number;

  @Property({ type: 'bigint' })
  originalBytes!: string;

  @Property({ type: 'bigint' })
  thumbnailBytes!: string;
}
