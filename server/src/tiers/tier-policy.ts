import type { Variant } from '../links/link-urls.js';

/** What a tier lets its users' links do: the one place the tier rule is written. */
export interface TierPolicy {
  readonly thumbnailHeights: readonly number[];
  readonly originalLink: boolean;
  readonly expiringLinks: boolean;
}

/** Whether a permanent link to this variant works under the policy. */
export function allowsVariant(policy: TierPolicy, variant: Variant): boolean {
  return variant.kind === 'original' ? policy.originalLink : policy.thumbnailHeights.includes(variant.height);
}

/** Whether expiring links (to the original) work under the policy. */
export function allowsExpiringLinks(policy: TierPolicy): boolean {
  return policy.expiringLinks;
}
