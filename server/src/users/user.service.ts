import { UniqueConstraintViolationException, type FilterQuery } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { AuditAction, AuditTargetType } from '../audit/audit-actions.js';
import { changedFields, type AuditTrail } from '../audit/audit-trail.js';
import { hashPassword } from '../auth/password.js';
import { BadUserInputError, ConflictError, NotFoundError } from '../shared/errors.js';
import { checkPage, escapeLike, SortOrder } from '../shared/list-args.js';
import type { Background } from '../jobs/background.js';
import { Image } from '../images/image.entity.js';
import type { AccessChange } from '../links/serving-facts.js';
import type { Clock } from '../shared/clock.js';
import { isUuid } from '../shared/ids.js';
import { BUILTIN_TIER_IDS, Tier } from '../tiers/tier.entity.js';
import { checkPassword, checkUsername } from './user-rules.js';
import type { CreateUserInput, UpdateUserInput, UserList, UserListArgs } from './user.args.js';
import { User } from './user.entity.js';

export class UserService {
  constructor(
    private readonly em: EntityManager,
    private readonly clock: Clock,
    private readonly background: Pick<Background, 'syncThumbnails' | 'removeFiles'>,
    /** Records each change in the transaction that makes it. */
    private readonly audit: AuditTrail,
    /** Told of committed changes to what links grant, so this process's links follow at once. */
    private readonly accessChanged: (change: AccessChange) => void = () => {},
    /** Told of every committed change to a user, so this process's sign-ins follow at once. */
    private readonly userChanged: (userId: string) => void = () => {},
  ) {}

  async list(args: UserListArgs): Promise<UserList> {
    const { offset, limit } = checkPage(args);
    const where: FilterQuery<User> = {};
    const filter = args.filter;
    if (filter?.q) where.username = { $ilike: `%${escapeLike(filter.q)}%` };
    if (filter?.tierId) where.tier = isUuid(filter.tierId) ? filter.tierId : { $in: [] };
    if (filter?.isAdmin != null) where.isAdmin = filter.isAdmin;
    if (filter?.ids) where.id = { $in: filter.ids.filter(isUuid) };
    const order = args.sort?.order === SortOrder.DESC ? 'desc' : 'asc';
    const [nodes, totalCount] = await this.em.findAndCount(User, where, {
      populate: ['tier'],
      orderBy: [{ [args.sort?.field ?? 'username']: order }, { id: order }],
      offset,
      limit,
    });
    return { nodes, totalCount };
  }

  /** The user with their tier loaded. */
  async get(id: string): Promise<User> {
    const user = isUuid(id) ? await this.em.findOne(User, id, { populate: ['tier'] }) : null;
    if (!user) throw new NotFoundError('User');
    return user;
  }

  async create(input: CreateUserInput): Promise<User> {
    const user = new User();
    user.username = checkUsername(input.username);
    user.passwordHash = await hashPassword(checkPassword(input.password));
    user.tier = await this.findTier(input.tierId ?? BUILTIN_TIER_IDS.basic);
    user.isAdmin = input.isAdmin ?? false;
    user.createdAt = user.updatedAt = this.clock.now();
    this.audit.record(this.em, { action: AuditAction.USER_CREATE, target: { type: AuditTargetType.USER, id: user.id }, after: auditedFields(user) });
    await this.save(user);
    return user;
  }

  /** `actorId` is the admin making the change: nobody can take away their own admin rights. */
  async update(id: string, input: UpdateUserInput, actorId: string): Promise<User> {
    const user = await this.get(id);
    const before = auditedFields(user);
    if (input.username != null) user.username = checkUsername(input.username);
    if (input.password != null) {
      user.passwordHash = await hashPassword(checkPassword(input.password));
      user.tokenVersion += 1;
    }
    const tierBefore = user.tier.id;
    if (input.tierId != null) user.tier = await this.findTier(input.tierId);
    if (input.isAdmin != null) {
      if (user.id === actorId && !input.isAdmin) {
        throw new BadUserInputError('You cannot remove your own admin rights', { field: 'input.isAdmin' });
      }
      user.isAdmin = input.isAdmin;
    }
    user.updatedAt = this.clock.now();
    const changes = changedFields(before, auditedFields(user));
    // that it changed, never what to
    if (input.password != null) changes.after.password = 'changed';
    this.audit.record(this.em, { action: AuditAction.USER_UPDATE, target: { type: AuditTargetType.USER, id: user.id }, ...changes });
    await this.save(user);
    this.userChanged(user.id);
    if (user.tier.id !== tierBefore) {
      this.accessChanged({ kind: 'user', id: user.id });
      await this.background.syncThumbnails({ userId: user.id });
    }
    return user;
  }

  /** Removes the user, their images and every file of those images. */
  async delete(id: string, actorId: string): Promise<boolean> {
    if (id === actorId) throw new BadUserInputError('You cannot delete your own account', { field: 'id' });
    const user = await this.get(id);
    const images = await this.em.find(Image, { owner: user.id }, { fields: ['id', 'format'] });
    this.audit.record(this.em, { action: AuditAction.USER_DELETE, target: { type: AuditTargetType.USER, id: user.id }, before: { ...auditedFields(user), images: images.length } });
    await this.em.remove(user).flush();
    this.accessChanged({ kind: 'user', id: user.id });
    await this.background.removeFiles(images);
    return true;
  }

  private async findTier(id: string): Promise<Tier> {
    const tier = isUuid(id) ? await this.em.findOne(Tier, id) : null;
    if (!tier) throw new BadUserInputError('No such tier', { field: 'input.tierId' });
    return tier;
  }

  private async save(user: User): Promise<void> {
    try {
      await this.em.persist(user).flush();
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException) {
        this.em.clear();
        throw new ConflictError(`The username ${user.username} is taken`, { field: 'input.username', reason: 'USERNAME_TAKEN' });
      }
      throw error;
    }
  }
}

/** What an audit event shows of a user; never anything of the password. */
export function auditedFields(user: User) {
  return { username: user.username, tier: { id: user.tier.id, name: user.tier.name }, isAdmin: user.isAdmin };
}
