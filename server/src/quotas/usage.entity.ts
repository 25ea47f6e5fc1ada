import { BigIntType } from '@mikro-orm/core';
import { Entity, Index, ManyToOne, OneToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { User } from '../users/user.entity.js';

/**
 * What one user stores: images and bytes of originals. Only the triggers on `images` change it
 * (db/usage-triggers.ts), in the transaction of the change, so it is never out of step with the rows;
 * uploads lock it (`for update`) while they check and reserve against their tier's limits, which is
 * what makes the limits hold across concurrent uploads and instances. The entity is here so the
 * schema the migrations build stays exactly the one the entities describe.
 */
@Entity({ tableName: 'user_usage' })
export class UserUsage {
  @OneToOne(() => User, { primary: true, deleteRule: 'cascade', owner: true })
  user!: User;

  @Property({ type: 'integer', default: 0 })
  images: number = 0;

  @Property({ type: new BigIntType('number'), defaultRaw: '0' })
  bytes: number = 0;
}

/**
 * One upload batch admitted in the last hour. While `pending` it is a reservation: its images and
 * bytes count against the quota until the batch commits (then the rows count) or fails (then it is
 * deleted); a pending one older than `expiresAt` is one whose process died, and no longer counts.
 * Once committed it stays an hour as the record the upload rate is counted from. Only QuotaService
 * writes it.
 */
@Entity({ tableName: 'recent_uploads' })
// a user's window, oldest first: the rate count and its Retry-After
@Index({ name: 'recent_uploads_user_created_index', properties: ['user', 'createdAt'] })
export class RecentUpload {
  @PrimaryKey({ type: 'uuid' })
  id!: string;

  @ManyToOne(() => User, { deleteRule: 'cascade' })
  user!: User;

  /** New images of the batch: reserved while pending, stored once committed. */
  @Property({ type: 'integer' })
  images!: number;

  /** Bytes of the batch as uploaded; counted only while pending. */
  @Property({ type: new BigIntType('number') })
  bytes!: number;

  /** When it was admitted, by the server's clock: the rate window runs from here. */
  @Property({ type: 'timestamptz', length: 3 })
  @Index({ name: 'recent_uploads_created_at_index' })
  createdAt!: Date;

  @Property({ type: 'boolean' })
  pending!: boolean;

  /** When a pending reservation stops counting (a crashed upload's); null once committed. */
  @Property({ type: 'timestamptz', length: 3, nullable: true })
  expiresAt: Date | null = null;
}
