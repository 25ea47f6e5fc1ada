import { UniqueConstraintViolationException, type FilterQuery } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { AuditAction, AuditTargetType } from '../audit/audit-actions.js';
import { changedFields, type AuditTrail } from '../audit/audit-trail.js';
import { ConflictError, ForbiddenError, NotFoundError } from '../shared/errors.js';
import { checkPage, escapeLike, SortOrder } from '../shared/list-args.js';
import type { Background } from '../jobs/background.js';
import type { AccessChange } from '../links/serving-facts.js';
import type { Clock } from '../shared/clock.js';
import { isUuid } from '../shared/ids.js';
import { User } from '../users/user.entity.js';
import { checkLimit, checkThumbnailHeights, checkTierName } from './tier-rules.js';
import type { CreateTierInput, TierListArgs, TierList, UpdateTierInput } from './tier.args.js';
import { BUILTIN_TIER_IDS, Tier } from './tier.entity.js';

export class TierService {
  constructor(
    private readonly em: EntityManager,
    private readonly clock: Clock,
    private readonly background: Pick<Background, 'syncThumbnails'>,
    /** Records each change in the transaction that makes it. */
    private readonly audit: AuditTrail,
    /** Told of committed changes to what links grant, so this process's links follow at once. */
    private readonly accessChanged: (change: AccessChange) => void = () => {},
  ) {}

  /** A page of tiers with the total that matches the filter. */
  async list(args: TierListArgs): Promise<TierList> {
    const { offset, limit } = checkPage(args);
    const where: FilterQuery<Tier> = {};
    if (args.filter?.q) where.name = { $ilike: `%${escapeLike(args.filter.q)}%` };
    if (args.filter?.ids) where.id = { $in: args.filter.ids.filter(isUuid) };
    if (args.filter?.builtin !== undefined && args.filter.builtin !== null) where.builtin = args.filter.builtin;
    const order = args.sort?.order === SortOrder.DESC ? 'desc' : 'asc';
    const [nodes, totalCount] = await this.em.findAndCount(Tier, where, {
      orderBy: [{ [args.sort?.field ?? 'name']: order }, { id: order }],
      offset,
      limit,
    });
    return { nodes, totalCount };
  }

  async get(id: string): Promise<Tier> {
    const tier = isUuid(id) ? await this.em.findOne(Tier, id) : null;
    if (!tier) throw new NotFoundError('Tier');
    return tier;
  }

  async create(input: CreateTierInput): Promise<Tier> {
    const tier = new Tier();
    tier.name = checkTierName(input.name);
    tier.thumbnailHeights = checkThumbnailHeights(input.thumbnailHeights);
    tier.originalLink = input.originalLink ?? false;
    tier.expiringLinks = input.expiringLinks ?? false;
    tier.maxImages = checkLimit(input.maxImages, 'input.maxImages');
    tier.maxBytes = checkLimit(input.maxBytes, 'input.maxBytes');
    tier.uploadsPerHour = checkLimit(input.uploadsPerHour, 'input.uploadsPerHour');
    tier.createdAt = tier.updatedAt = this.clock.now();
    this.audit.record(this.em, { action: AuditAction.TIER_CREATE, target: { type: AuditTargetType.TIER, id: tier.id }, after: auditedFields(tier) });
    await this.save(tier);
    return tier;
  }

  /**
   * Changes apply to every user on the tier at once: their lists and links follow the new rules, and
   * new limits hold for every upload admitted from then on (a limit below what users have keeps
   * their images and refuses their uploads until they are under it).
   */
  async update(id: string, input: UpdateTierInput): Promise<Tier> {
    const tier = await this.get(id);
    const before = auditedFields(tier);
    const heightsBefore = tier.thumbnailHeights.join();
    if (input.name != null) tier.name = checkTierName(input.name);
    if (input.thumbnailHeights != null) tier.thumbnailHeights = checkThumbnailHeights(input.thumbnailHeights);
    if (input.originalLink != null) tier.originalLink = input.originalLink;
    if (input.expiringLinks != null) tier.expiringLinks = input.expiringLinks;
    // for the limits null means "no limit", so only a field left out leaves one as it is
    if (input.maxImages !== undefined) tier.maxImages = checkLimit(input.maxImages, 'input.maxImages');
    if (input.maxBytes !== undefined) tier.maxBytes = checkLimit(input.maxBytes, 'input.maxBytes');
    if (input.uploadsPerHour !== undefined) tier.uploadsPerHour = checkLimit(input.uploadsPerHour, 'input.uploadsPerHour');
    tier.updatedAt = this.clock.now();
    this.audit.record(this.em, { action: AuditAction.TIER_UPDATE, target: { type: AuditTargetType.TIER, id: tier.id }, ...changedFields(before, auditedFields(tier)) });
    await this.save(tier);
    this.accessChanged({ kind: 'tier', id: tier.id });
    // added heights are made and removed ones deleted for the tier's images, away from the request
    if (tier.thumbnailHeights.join() !== heightsBefore) await this.background.syncThumbnails({ tierId: tier.id });
    return tier;
  }

  async delete(id: string): Promise<boolean> {
    const tier = await this.get(id);
    if (tier.builtin) throw new ForbiddenError(`The builtin tier ${tier.name} cannot be deleted`, { reason: 'TIER_BUILTIN' });
    const users = await this.em.count(User, { tier: tier.id });
    if (users > 0) {
      throw new ConflictError(`The tier ${tier.name} still has ${users} user${users === 1 ? '' : 's'}; move them first`, { reason: 'TIER_IN_USE' });
    }
    this.audit.record(this.em, { action: AuditAction.TIER_DELETE, target: { type: AuditTargetType.TIER, id: tier.id }, before: auditedFields(tier) });
    // the foreign key refuses the delete if a user joined the tier since the count
    await this.em.remove(tier).flush().catch((error) => {
      // nothing of the failed delete may reach a later flush in this request, its audit event least of all
      this.em.clear();
      throw error?.code === '23503' || /foreign key/i.test(String(error?.message)) ? new ConflictError(`The tier ${tier.name} still has users`, { reason: 'TIER_IN_USE' }) : error;
    });
    this.accessChanged({ kind: 'tier', id: tier.id });
    return true;
  }

  /** Users on each tier, in the order of `ids`, in one query. */
  async userCounts(ids: readonly string[]): Promise<number[]> {
    const valid = ids.filter(isUuid);
    if (valid.length === 0) return ids.map(() => 0);
    // the driver expands an array parameter into a list: `in (?)` becomes `in ($1, $2, …)`
    const rows = await this.em
      .getConnection()
      .execute<Array<{ tier_id: string; n: string }>>('select tier_id, count(*) as n from users where tier_id in (?) group by tier_id', [valid]);
    const counts = new Map(rows.map((row) => [row.tier_id, Number(row.n)]));
    return ids.map((id) => counts.get(id) ?? 0);
  }

  getDefault(): Promise<Tier> {
    return this.get(BUILTIN_TIER_IDS.basic);
  }

  private async save(tier: Tier): Promise<void> {
    try {
      await this.em.persist(tier).flush();
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException) {
        this.em.clear();
        throw new ConflictError(`A tier named ${tier.name} already exists`, { field: 'input.name', reason: 'NAME_TAKEN' });
      }
      throw error;
    }
  }
}

/** What an audit event shows of a tier. */
function auditedFields(tier: Tier) {
  return { name: tier.name, thumbnailHeights: [...tier.thumbnailHeights], originalLink: tier.originalLink, expiringLinks: tier.expiringLinks };
}
