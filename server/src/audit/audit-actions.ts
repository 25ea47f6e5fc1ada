import { registerEnumType } from 'type-graphql';

/**
 * What an audit event records. The value is what is stored (`tier.update`); the GraphQL name is the
 * enum's key (`TIER_UPDATE`).
 */
export enum AuditAction {
  TIER_CREATE = 'tier.create',
  TIER_UPDATE = 'tier.update',
  TIER_DELETE = 'tier.delete',
  USER_CREATE = 'user.create',
  USER_UPDATE = 'user.update',
  USER_DELETE = 'user.delete',
  EXPIRING_LINK_REVOKE = 'expiringLink.revoke',
  IMAGE_ROTATE_LINKS = 'image.rotateLinks',
  ACCESS_TOKEN_REVOKE = 'accessToken.revoke',
}

registerEnumType(AuditAction, {
  name: 'AuditAction',
  description: 'What an audit event records; stored as the dotted name in each value’s description.',
  valuesConfig: {
    TIER_CREATE: { description: '`tier.create`: an admin created a tier.' },
    TIER_UPDATE: { description: '`tier.update`: an admin changed a tier’s name, heights or links.' },
    TIER_DELETE: { description: '`tier.delete`: an admin deleted a tier.' },
    USER_CREATE: { description: '`user.create`: an admin (or the system, for the first admin) created a user.' },
    USER_UPDATE: { description: '`user.update`: a user’s username, tier, admin flag or password was changed.' },
    USER_DELETE: { description: '`user.delete`: an admin deleted a user and their images.' },
    EXPIRING_LINK_REVOKE: { description: '`expiringLink.revoke`: an admin revoked another user’s expiring link.' },
    IMAGE_ROTATE_LINKS: { description: '`image.rotateLinks`: an admin rotated the permanent links of another user’s image.' },
    ACCESS_TOKEN_REVOKE: { description: '`accessToken.revoke`: an admin revoked another user’s personal access token.' },
  },
});

/** The kind of thing an audit event is about. */
export enum AuditTargetType {
  TIER = 'tier',
  USER = 'user',
  IMAGE = 'image',
  EXPIRING_LINK = 'expiringLink',
  ACCESS_TOKEN = 'accessToken',
}

registerEnumType(AuditTargetType, {
  name: 'AuditTargetType',
  description: 'The kind of thing an audit event is about.',
  valuesConfig: {
    TIER: { description: 'A tier; targetId is its id.' },
    USER: { description: 'A user; targetId is their id.' },
    IMAGE: { description: 'An image; targetId is its id.' },
    EXPIRING_LINK: { description: 'An expiring link; targetId is its id.' },
    ACCESS_TOKEN: { description: 'A personal access token; targetId is its id (what `accessTokens` lists), never its secret.' },
  },
});

/** The actor of events written by the server itself (the first admin account), not by a person. */
export const SYSTEM_ACTOR = 'system';
