import { ArgsType, Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { PageArgs, SortOrder } from '../shared/list-args.js';
import { AuditAction, AuditTargetType } from './audit-actions.js';
import { AuditEvent } from './audit-event.entity.js';

export enum AuditEventSortField {
  OCCURRED_AT = 'occurredAt',
  ACTION = 'action',
}
registerEnumType(AuditEventSortField, {
  name: 'AuditEventSortField',
  description: 'What the audit log can be sorted by; ties go by time, newest first unless the order says otherwise.',
  valuesConfig: { OCCURRED_AT: { description: 'When the change was made.' }, ACTION: { description: 'The action’s stored name (`tier.update`).' } },
});

@InputType({ description: 'How to sort the audit log; without it, newest first.' })
export class AuditEventSort {
  @Field(() => AuditEventSortField, { description: 'The field to sort by.' })
  field!: AuditEventSortField;

  @Field(() => SortOrder, { defaultValue: SortOrder.DESC, description: 'Ascending or descending; descending unless given.' })
  order: SortOrder = SortOrder.DESC;
}

@InputType({ description: 'Narrows the audit log; every field given must match.' })
export class AuditEventFilter {
  @Field(() => String, { nullable: true, description: 'Events by this actor: a user id, or `system`.' })
  actorId?: string;

  @Field(() => AuditTargetType, { nullable: true, description: 'Events about this kind of thing.' })
  targetType?: AuditTargetType;

  @Field(() => ID, { nullable: true, description: 'Events about the thing with this id (a record’s history).' })
  targetId?: string;

  @Field(() => AuditAction, { nullable: true, description: 'Events of this action.' })
  action?: AuditAction;

  @Field(() => Date, { nullable: true, description: 'Events at or after this time.' })
  from?: Date;

  @Field(() => Date, { nullable: true, description: 'Events before this time (exclusive).' })
  to?: Date;
}

@ArgsType()
export class AuditEventListArgs extends PageArgs {
  @Field(() => AuditEventSort, { nullable: true, description: 'Newest first unless given.' })
  sort?: AuditEventSort;

  @Field(() => AuditEventFilter, { nullable: true, description: 'Which events; all of them unless given.' })
  filter?: AuditEventFilter;
}

@ObjectType({ simpleResolvers: true, description: 'A page of the audit log and how many events match the filter.' })
export class AuditEventList {
  @Field(() => [AuditEvent], { description: 'The events of this page.' })
  nodes!: AuditEvent[];

  @Field(() => Int, { description: 'Events matching the filter, on every page.' })
  totalCount!: number;
}
