import type { VariantFormat } from '../images/image-processor.js';
import type { Clock } from '../shared/clock.js';
import { allowsExpiringLinks, allowsVariant } from '../tiers/tier-policy.js';
import type { LinkUrls, Variant } from './link-urls.js';
import type { ExpiringLinkFacts, ServingFacts, ServingFactsCache } from './serving-facts.js';

/** Why a link gives nothing; the HTTP layer maps the code to a status and a body. */
export type LinkRefusalCode = 'LINK_INVALID' | 'LINK_EXPIRED' | 'LINK_REVOKED' | 'NOT_FOUND' | 'LINK_NOT_ALLOWED';

export interface LinkRefusal {
  refused: LinkRefusalCode;
  message: string;
}

/** What a link grants: which image and variant to send, and for how long a cache may keep the answer. */
export interface LinkGrant {
  image: ServingFacts;
  variant: Variant;
  cacheControl: string;
  /** Seconds an expiring link has left; a redirect must not outlive it. */
  lifetime: number | undefined;
  /** The expiring link's row the grant came from; absent for permanent links and those made before links were rows. */
  link?: ExpiringLinkFacts;
  /** The format the URL fixes (`h200.avif`); otherwise the request's Accept header chooses. */
  format?: VariantFormat;
}

const refuse = (refused: LinkRefusalCode, message: string): LinkRefusal => ({ refused, message });
const INVALID = refuse('LINK_INVALID', 'This link is not valid');
const GONE = refuse('NOT_FOUND', 'This image does not exist');

/**
 * Decides what a link grants. The signature is checked first, so a forged or altered link is refused
 * before any lookup; then the image's facts (from the cache) and the owner's tier policy decide.
 */
export class LinkAccess {
  constructor(
    private readonly urls: LinkUrls,
    private readonly facts: ServingFactsCache,
    private readonly clock: Clock,
  ) {}

  async permanent(imageId: string, variantName: string, version: string | undefined, signature: unknown): Promise<LinkGrant | LinkRefusal> {
    const signed = this.urls.verifyPermanent(imageId, variantName, version, signature);
    if (!signed) return INVALID;
    const image = await this.facts.get(imageId);
    if (!image) return GONE;
    // rotated: the owner retired the URLs of this version
    if (image.linkVersion !== signed.version) return INVALID;
    if (!allowsVariant(image.policy, signed.variant)) return refuse('LINK_NOT_ALLOWED', 'The owner’s tier no longer includes this link');
    // no-cache: a tier change must reach clients that revalidate
    return { image, variant: signed.variant, cacheControl: 'private, no-cache', lifetime: undefined, format: signed.format };
  }

  /**
   * Whether a grant still holds without checking the link again: a grant follows from the signature
   * (fixed for the link) and the facts of the image and of the expiring link's row, which are
   * replaced, never changed, when anything they hold changes; and from the clock, for an expiring
   * link. False sends the caller back to `permanent` or `expiring`.
   */
  stillGranted(grant: LinkGrant): boolean {
    if (this.facts.peek(grant.image.id) !== grant.image) return false;
    const link = grant.link;
    return link === undefined || (this.facts.peekLink(link.id) === link && Math.floor(this.clock.now().getTime() / 1000) <= link.expiresAt);
  }

  async expiring(token: string): Promise<LinkGrant | LinkRefusal> {
    const verified = this.urls.verifyExpiring(token);
    if (!verified) return INVALID;
    const now = Math.floor(this.clock.now().getTime() / 1000);
    let link: Pick<ExpiringLinkFacts, 'imageId' | 'size' | 'expiresAt'>;
    let row: ExpiringLinkFacts | undefined;
    if ('linkId' in verified) {
      row = await this.facts.link(verified.linkId);
      if (!row) return GONE;
      if (row.revoked) return refuse('LINK_REVOKED', 'This link was revoked');
      link = row;
    } else {
      // made before links were rows: the original, until its signed expiry
      link = { imageId: verified.imageId, size: null, expiresAt: verified.expiresAt };
    }
    if (now > link.expiresAt) return refuse('LINK_EXPIRED', 'This link has expired');
    const image = await this.facts.get(link.imageId);
    if (!image) return GONE;
    if (!allowsExpiringLinks(image.policy)) return refuse('LINK_NOT_ALLOWED', 'The owner’s tier no longer includes expiring links');
    const variant: Variant = link.size === null ? { kind: 'original' } : { kind: 'thumbnail', height: link.size };
    if (!allowsVariant(image.policy, variant) && variant.kind === 'thumbnail') return refuse('LINK_NOT_ALLOWED', 'The owner’s tier no longer includes this size');
    const lifetime = link.expiresAt - now;
    // a link that can be revoked is revalidated on every use (a 304 when nothing changed); one made
    // before links were rows can only expire, so a cache may keep it that long
    const cacheControl = row ? 'private, no-cache' : `private, max-age=${lifetime}`;
    return { image, variant, cacheControl, lifetime, link: row };
  }
}

export const isRefusal = (answer: LinkGrant | LinkRefusal): answer is LinkRefusal => 'refused' in answer;
