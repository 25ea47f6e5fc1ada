import { randomBytes } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { hashPassword } from '../auth/password.js';
import type { Logger } from '../shared/logger.js';
import { BUILTIN_TIER_IDS, Tier } from '../tiers/tier.entity.js';
import { checkPassword, checkUsername } from './user-rules.js';
import { User } from './user.entity.js';

export interface BootstrapResult {
  username: string;
  /** Only when a password was generated: shown once, never stored in clear. */
  generatedPassword?: string;
}

/**
 * Makes sure someone can administer the service. With ADMIN_USERNAME/ADMIN_PASSWORD the account is
 * created or reset to exactly that; without them, and with no admin yet, `admin` is created with a
 * random password that is printed once.
 */
export async function ensureAdmin(em: EntityManager, admin: { username: string; password: string } | undefined, logger: Logger): Promise<BootstrapResult | undefined> {
  if (admin) {
    const username = checkUsername(admin.username, 'ADMIN_USERNAME');
    const passwordHash = await hashPassword(checkPassword(admin.password, 'ADMIN_PASSWORD'));
    const existing = await em.findOne(User, { username });
    if (existing) {
      existing.passwordHash = passwordHash;
      existing.isAdmin = true;
      existing.tokenVersion += 1;
      existing.updatedAt = new Date();
    } else {
      em.persist(newAdmin(em, username, passwordHash));
    }
    await em.flush();
    logger.info({ username }, 'admin account set from ADMIN_USERNAME');
    return { username };
  }
  if ((await em.count(User, { isAdmin: true })) > 0) return undefined;
  const taken = await em.count(User, { username: 'admin' });
  const username = taken ? `admin-${randomBytes(3).toString('hex')}` : 'admin';
  const generatedPassword = randomBytes(12).toString('base64url');
  em.persist(newAdmin(em, username, await hashPassword(generatedPassword)));
  await em.flush();
  return { username, generatedPassword };
}

function newAdmin(em: EntityManager, username: string, passwordHash: string): User {
  const user = new User();
  user.username = username;
  user.passwordHash = passwordHash;
  user.isAdmin = true;
  user.tier = em.getReference(Tier, BUILTIN_TIER_IDS.enterprise);
  return user;
}
