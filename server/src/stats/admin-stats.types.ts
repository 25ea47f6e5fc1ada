import { GraphQLSafeInt } from 'graphql-scalars';
import { Field, Int, ObjectType } from 'type-graphql';
import { Tier } from '../tiers/tier.entity.js';
import { User } from '../users/user.entity.js';

@ObjectType({ simpleResolvers: true, description: 'Everything stored, over all users.' })
export class StorageTotals {
  @Field(() => Int, { description: 'Images stored.' })
  images!: number;

  @Field(() => GraphQLSafeInt, { description: 'Bytes of their original files.' })
  originalBytes!: number;

  @Field(() => GraphQLSafeInt, { description: 'Bytes of their thumbnail files (images stored before thumbnail sizes were recorded count 0 until remade).' })
  thumbnailBytes!: number;

  @Field(() => Int, { description: 'User accounts, admins included.' })
  users!: number;
}

@ObjectType({ simpleResolvers: true, description: 'The images stored now that were uploaded on one day (UTC).' })
export class DailyUploads {
  @Field(() => String, { description: 'The day, `YYYY-MM-DD` (UTC).' })
  day!: string;

  @Field(() => Int, { description: 'Images uploaded that day and still stored.' })
  images!: number;

  @Field(() => GraphQLSafeInt, { description: 'Bytes of their original files.' })
  bytes!: number;
}

@ObjectType({ simpleResolvers: true, description: 'What one tier’s users store, and how far its thumbnails are from its heights.' })
export class TierUsage {
  @Field(() => Tier, { description: 'The tier.' })
  tier!: Tier;

  @Field(() => Int, { description: 'Users on the tier.' })
  users!: number;

  @Field(() => Int, { description: 'Images of its users.' })
  images!: number;

  @Field(() => GraphQLSafeInt, { description: 'Bytes of those images’ originals.' })
  originalBytes!: number;

  @Field(() => GraphQLSafeInt, { description: 'Bytes of those images’ thumbnails.' })
  thumbnailBytes!: number;

  @Field(() => Int, { description: 'Images whose stored thumbnails differ from the tier’s heights: the background sync’s work left.' })
  imagesOutOfStep!: number;
}

@ObjectType({ simpleResolvers: true, description: 'Background jobs of one queue.' })
export class QueueJobs {
  @Field(() => String, { description: 'The queue, e.g. `thumbnail-sync`.' })
  queue!: string;

  @Field(() => Int, { description: 'Jobs waiting (including retries waiting for their turn).' })
  queued!: number;

  @Field(() => Int, { description: 'Jobs a worker is running now.' })
  running!: number;

  @Field(() => Int, { description: 'Jobs that failed for good and are still kept (pg-boss deletes them after a while).' })
  failed!: number;
}

@ObjectType({ simpleResolvers: true, description: 'Background jobs, over every queue and by queue.' })
export class JobCounts {
  @Field(() => Int, { description: 'Jobs waiting, all queues.' })
  queued!: number;

  @Field(() => Int, { description: 'Jobs running, all queues.' })
  running!: number;

  @Field(() => Int, { description: 'Jobs failed and kept, all queues.' })
  failed!: number;

  @Field(() => [QueueJobs], { description: 'The same by queue, in name order.' })
  queues!: QueueJobs[];
}

@ObjectType({ simpleResolvers: true, description: 'What one user stores.' })
export class UserUsage {
  @Field(() => User, { description: 'The user.' })
  user!: User;

  @Field(() => Int, { description: 'Their images.' })
  images!: number;

  @Field(() => GraphQLSafeInt, { description: 'Bytes of their originals and thumbnails together.' })
  bytes!: number;

  @Field(() => GraphQLSafeInt, { description: 'Bytes of their originals.' })
  originalBytes!: number;

  @Field(() => GraphQLSafeInt, { description: 'Bytes of their thumbnails.' })
  thumbnailBytes!: number;
}

@ObjectType({ simpleResolvers: true, description: 'The system at a glance, for the admin dashboard; read from counters kept in step with every change.' })
export class AdminStats {
  @Field(() => Date, { description: 'When these figures were read (the server’s clock).' })
  generatedAt!: Date;

  @Field(() => StorageTotals, { description: 'Totals over all users.' })
  totals!: StorageTotals;

  @Field(() => [DailyUploads], { description: 'The last 30 days (UTC), oldest first, today last; days without uploads count 0.' })
  uploadsPerDay!: DailyUploads[];

  @Field(() => [TierUsage], { description: 'Every tier, in name order.' })
  tiers!: TierUsage[];

  @Field(() => JobCounts, { description: 'Background jobs (thumbnail sync, file cleanup, maintenance).' })
  jobs!: JobCounts;

  @Field(() => [UserUsage], { description: 'The 10 users storing the most bytes (originals and thumbnails), most first.' })
  topUsers!: UserUsage[];
}
