import type { AuditAction, AuditTargetType } from '../gql/graphql';

// Records, so a value added to the schema's enums fails the type check until it has a name here
export const ACTION_NAMES: Record<AuditAction, string> = {
  TIER_CREATE: 'tier.create',
  TIER_UPDATE: 'tier.update',
  TIER_DELETE: 'tier.delete',
  USER_CREATE: 'user.create',
  USER_UPDATE: 'user.update',
  USER_DELETE: 'user.delete',
  EXPIRING_LINK_REVOKE: 'expiringLink.revoke',
  IMAGE_ROTATE_LINKS: 'image.rotateLinks',
  ACCESS_TOKEN_REVOKE: 'accessToken.revoke',
};

export const TARGET_NAMES: Record<AuditTargetType, string> = {
  TIER: 'Tier',
  USER: 'User',
  IMAGE: 'Image',
  EXPIRING_LINK: 'Expiring link',
  ACCESS_TOKEN: 'Access token',
};

export const choicesOf = (names: Record<string, string>) => Object.entries(names).map(([id, name]) => ({ id, name }));

export interface ChangeRow {
  field: string;
  before: string;
  after: string;
}

type Values = Record<string, unknown> | null | undefined;

/** One row per field named in either snapshot, in the order the server wrote them; "—" where a side has none. */
export function changeRows(before: Values, after: Values): ChangeRow[] {
  const fields = [...new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})])];
  const side = (values: Values, field: string) => (values && field in values ? formatValue(values[field]) : '—');
  return fields.map((field) => ({ field, before: side(before, field), after: side(after, field) }));
}

/** A stored value as an admin reads it: lists joined, a referenced record by its name, nothing as "none". */
export function formatValue(value: unknown): string {
  if (value === null || value === undefined) return 'none';
  if (Array.isArray(value)) return value.map(formatValue).join(', ');
  if (typeof value === 'object') {
    const named = value as { name?: unknown; username?: unknown };
    if (typeof named.name === 'string') return named.name;
    if (typeof named.username === 'string') return named.username;
    return JSON.stringify(value);
  }
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  return String(value);
}
