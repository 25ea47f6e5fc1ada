import { randomBytes } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { AuditAction, AuditTargetType } from '../audit/audit-actions.js';
import { changedFields, type AuditTrail } from '../audit/audit-trail.js';
import { hashPassword, verifyPassword } from '../auth/password.js';
import type { Logger } from '../shared/logger.js';
import { BUILTIN_TIER_IDS, Tier } from '../tiers/tier.entity.js';
import { checkPassword, checkUsername } from './user-rules.js';
import { auditedFields } from './user.service.js';
import { User } from './user.entity.js';

export interface BootstrapResult {
  username: string;
  /** Only when a password was generated: shown once, never stored in clear. */
  generatedPassword?: string;
}

/**
 * Makes sure someone can administer the service. With ADMIN_USERNAME/ADMIN_PASSWORD the account is
 * created or reset to exactly that; without them, and with no admin yet, `admin` is created with a
 * random password that is printed once. Every instance runs this at every start, so it changes
 * nothing that is already right: only a changed password signs the admin's sessions out. What it
 * creates or changes is audited as the `system` actor's.
 */
export async function ensureAdmin(
  em: EntityManager,
  admin: { username: string; password: string } | undefined,
  logger: Logger,
  audit: AuditTrail,
): Promise<BootstrapResult | undefined> {
  if (admin) {
    const username = checkUsername(admin.username, 'ADMIN_USERNAME');
    const password = checkPassword(admin.password, 'ADMIN_PASSWORD');
    const existing = await em.findOne(User, { username }, { populate: ['passwordHash'] });
    if (!existing) {
      created(em, audit, await newAdmin(em, username, await hashPassword(password)));
      logger.info({ username }, 'admin account created from ADMIN_USERNAME');
    } else {
      const samePassword = await verifyPassword(existing.passwordHash, password);
      if (samePassword && existing.isAdmin) return { username };
      await em.populate(existing, ['tier']);
      const before = auditedFields(existing);
      if (!samePassword) {
        existing.passwordHash = await hashPassword(password);
        existing.tokenVersion += 1;
      }
      existing.isAdmin = true;
      existing.updatedAt = new Date();
      const changes = changedFields(before, auditedFields(existing));
      if (!samePassword) changes.after.password = 'changed';
      audit.record(em, { action: AuditAction.USER_UPDATE, target: { type: AuditTargetType.USER, id: existing.id }, ...changes });
      logger.info({ username, passwordChanged: !samePassword }, 'admin account reset from ADMIN_USERNAME');
    }
    await em.flush();
    return { username };
  }
  if ((await em.count(User, { isAdmin: true })) > 0) return undefined;
  const taken = await em.count(User, { username: 'admin' });
  const username = taken ? `admin-${randomBytes(3).toString('hex')}` : 'admin';
  const generatedPassword = randomBytes(12).toString('base64url');
  created(em, audit, await newAdmin(em, username, await hashPassword(generatedPassword)));
  await em.flush();
  return { username, generatedPassword };
}

async function newAdmin(em: EntityManager, username: string, passwordHash: string): Promise<User> {
  const user = new User();
  user.username = username;
  user.passwordHash = passwordHash;
  user.isAdmin = true;
  user.tier = await em.findOneOrFail(Tier, BUILTIN_TIER_IDS.enterprise);
  return user;
}

function created(em: EntityManager, audit: AuditTrail, user: User): void {
  em.persist(user);
  audit.record(em, { action: AuditAction.USER_CREATE, target: { type: AuditTargetType.USER, id: user.id }, after: auditedFields(user) });
}
