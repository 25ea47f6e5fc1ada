import type { EntityManager } from '@mikro-orm/postgresql';
import type { Clock } from '../shared/clock.js';
import { SYSTEM_ACTOR, type AuditAction, type AuditTargetType } from './audit-actions.js';
import { AuditEvent, type AuditValues } from './audit-event.entity.js';

/** Who acts, and from where: fixed for one request (or one start-up task). */
export interface AuditActor {
  /** A user id, or SYSTEM_ACTOR. */
  id: string;
  name?: string | null;
  requestId?: string | null;
  clientAddress?: string | null;
}

export interface AuditEntry {
  action: AuditAction;
  target: { type: AuditTargetType; id: string };
  /** The changed fields before; null or absent for a creation. */
  before?: AuditValues | null;
  /** The changed fields after; null or absent for a deletion. */
  after?: AuditValues | null;
}

/**
 * Writes audit events for one actor. `record` only adds the event to the unit of work of the
 * EntityManager it is given: the caller's flush (or transaction) writes it together with the change
 * it records, so a change that fails leaves no event and no event outlives a rolled-back change.
 */
export class AuditTrail {
  constructor(
    private readonly clock: Clock,
    private readonly actor: AuditActor,
  ) {}

  static system(clock: Clock): AuditTrail {
    return new AuditTrail(clock, { id: SYSTEM_ACTOR });
  }

  record(em: EntityManager, entry: AuditEntry): AuditEvent {
    const event = new AuditEvent();
    event.occurredAt = this.clock.now();
    event.actorId = this.actor.id;
    event.actorName = this.actor.name ?? null;
    event.action = entry.action;
    event.targetType = entry.target.type;
    event.targetId = entry.target.id;
    event.before = entry.before ?? null;
    event.after = entry.after ?? null;
    event.requestId = this.actor.requestId ?? null;
    event.clientAddress = this.actor.clientAddress ?? null;
    em.persist(event);
    return event;
  }

  /**
   * For acts on what users own (their links, their images): only an act on someone else's, which
   * only admins can do, is an admin action worth recording.
   */
  recordForOwner(em: EntityManager, ownerId: string, entry: AuditEntry): void {
    if (ownerId !== this.actor.id) this.record(em, entry);
  }
}

/** The fields whose values differ between two snapshots, as a before and an after holding only those. */
export function changedFields(before: AuditValues, after: AuditValues): { before: AuditValues; after: AuditValues } {
  const changed = Object.keys({ ...before, ...after }).filter((key) => JSON.stringify(before[key]) !== JSON.stringify(after[key]));
  return { before: pick(before, changed), after: pick(after, changed) };
}

const pick = (values: AuditValues, keys: string[]): AuditValues => Object.fromEntries(keys.filter((key) => key in values).map((key) => [key, values[key]]));
