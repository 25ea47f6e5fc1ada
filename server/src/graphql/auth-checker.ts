import type { AuthChecker } from 'type-graphql';
import type { Context } from './context.js';
import { ForbiddenError, UnauthenticatedError } from '../shared/errors.js';

export type Role = 'ADMIN';

/** `@Authorized()` needs a signed-in user; `@Authorized('ADMIN')` an admin. */
export const authChecker: AuthChecker<Context, Role> = ({ context }, roles) => {
  if (!context.viewer) throw new UnauthenticatedError();
  if (roles.includes('ADMIN') && !context.viewer.isAdmin) throw new ForbiddenError('Admins only');
  return true;
};
