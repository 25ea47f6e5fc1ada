import { randomUUID } from 'node:crypto';
import { Entity, Index, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { GraphQLJSONObject } from 'graphql-scalars';
import { Field, ID, ObjectType } from 'type-graphql';
import { AuditAction, AuditTargetType } from './audit-actions.js';

export type AuditValues = Record<string, unknown>;

/**
 * One admin action, written in the transaction of the change it records: a change that fails writes
 * no event. Never edited through the API; deleted only by the retention prune.
 */
@ObjectType({ simpleResolvers: true, description: 'One admin action, written with the change it records. Never edited; deleted after AUDIT_RETENTION_DAYS.' })
@Entity({ tableName: 'audit_events' })
// the log, newest first, and the retention prune (oldest first)
@Index({ name: 'audit_events_occurred_at_index', expression: 'create index "audit_events_occurred_at_index" on "audit_events" ("occurred_at" desc, "id" desc)' })
// a record's history (the History tab)
@Index({
  name: 'audit_events_target_index',
  expression: 'create index "audit_events_target_index" on "audit_events" ("target_type", "target_id", "occurred_at" desc, "id" desc)',
})
@Index({ name: 'audit_events_actor_index', expression: 'create index "audit_events_actor_index" on "audit_events" ("actor_id", "occurred_at" desc, "id" desc)' })
@Index({ name: 'audit_events_action_index', expression: 'create index "audit_events_action_index" on "audit_events" ("action", "occurred_at" desc, "id" desc)' })
export class AuditEvent {
  @Field(() => ID, { description: 'The event’s own id.' })
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Field(() => Date, { description: 'When the change was made (the server’s clock).' })
  @Property({ type: 'timestamptz', length: 3 })
  occurredAt!: Date;

  @Field(() => String, { description: 'The id of the admin who acted, or `system` for the server itself. Kept after the user is deleted.' })
  @Property({ type: 'text' })
  actorId!: string;

  @Field(() => String, { nullable: true, description: 'The actor’s username when they acted; null for `system`.' })
  @Property({ type: 'text', nullable: true })
  actorName: string | null = null;

  @Field(() => AuditAction, { description: 'What was done.' })
  @Property({ type: 'text' })
  action!: AuditAction;

  @Field(() => AuditTargetType, { description: 'The kind of thing it was done to.' })
  @Property({ type: 'text' })
  targetType!: AuditTargetType;

  @Field(() => ID, { description: 'The id of the thing it was done to; it may have been deleted since.' })
  @Property({ type: 'text' })
  targetId!: string;

  @Field(() => GraphQLJSONObject, { nullable: true, description: 'The changed fields as they were; null for a creation. A password is never shown.' })
  @Property({ type: 'json', nullable: true })
  before: AuditValues | null = null;

  @Field(() => GraphQLJSONObject, { nullable: true, description: 'The changed fields as they became; null for a deletion. A new password shows as `"changed"`.' })
  @Property({ type: 'json', nullable: true })
  after: AuditValues | null = null;

  @Field(() => String, { nullable: true, description: 'The X-Request-Id of the request that made the change, to find it in the logs.' })
  @Property({ type: 'text', nullable: true })
  requestId: string | null = null;

  @Field(() => String, { nullable: true, description: 'The client’s IP address (after TRUST_PROXY); null outside HTTP.' })
  @Property({ type: 'text', nullable: true })
  clientAddress: string | null = null;
}
