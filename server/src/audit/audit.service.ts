import type { FilterQuery, QueryOrderKeysFlat, QueryOrderMap } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Clock } from '../shared/clock.js';
import { isUuid } from '../shared/ids.js';
import { checkPage, SortOrder } from '../shared/list-args.js';
import { SYSTEM_ACTOR } from './audit-actions.js';
import { AuditEvent } from './audit-event.entity.js';
import { AuditEventSortField, type AuditEventList, type AuditEventListArgs } from './audit.args.js';

const NOTHING = { $in: [] as string[] };

/** Reads the audit log; events are written by AuditTrail, with the changes they record. */
export class AuditService {
  constructor(private readonly em: EntityManager) {}

  /**
   * A page of events with the total that matches the filter. An id that cannot be one (not a UUID,
   * nor `system` for the actor) matches nothing, like a missing one.
   */
  async list(args: AuditEventListArgs): Promise<AuditEventList> {
    const { offset, limit } = checkPage(args);
    const filter = args.filter;
    const where: FilterQuery<AuditEvent> = {};
    if (filter?.actorId != null) where.actorId = isUuid(filter.actorId) || filter.actorId === SYSTEM_ACTOR ? filter.actorId : NOTHING;
    if (filter?.targetType != null) where.targetType = filter.targetType;
    if (filter?.targetId != null) where.targetId = isUuid(filter.targetId) ? filter.targetId : NOTHING;
    if (filter?.action != null) where.action = filter.action;
    if (filter?.from != null || filter?.to != null) {
      where.occurredAt = { ...(filter.from != null && { $gte: filter.from }), ...(filter.to != null && { $lt: filter.to }) };
    }
    const order: QueryOrderKeysFlat = (args.sort?.order ?? SortOrder.DESC) === SortOrder.ASC ? 'asc' : 'desc';
    const field = args.sort?.field ?? AuditEventSortField.OCCURRED_AT;
    const newest: QueryOrderMap<AuditEvent>[] = [{ occurredAt: 'desc' }, { id: 'desc' }];
    const orderBy: QueryOrderMap<AuditEvent>[] = field === AuditEventSortField.OCCURRED_AT ? [{ occurredAt: order }, { id: order }] : [{ [field]: order }, ...newest];
    const [nodes, totalCount] = await this.em.findAndCount(AuditEvent, where, { orderBy, offset, limit });
    return { nodes, totalCount };
  }

  /** Deletes events older than `retentionDays`; the count deleted. */
  static prune(em: EntityManager, clock: Clock, retentionDays: number): Promise<number> {
    const cutoff = new Date(clock.now().getTime() - retentionDays * 86_400_000);
    return em.nativeDelete(AuditEvent, { occurredAt: { $lt: cutoff } });
  }
}
