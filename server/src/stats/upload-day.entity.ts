import { Entity, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';

/** Images stored now, and their original bytes, by day of upload (UTC); written only by the triggers on `images`. */
@Entity({ tableName: 'upload_days' })
export class UploadDay {
  @PrimaryKey({ type: 'date' })
  day!: string;

  @Property({ type: 'integer' })
  images!: number;

  @Property({ type: 'bigint' })
  bytes!: string;
}
