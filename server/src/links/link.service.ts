import { BadUserInputError, ForbiddenError } from '../shared/errors.js';
import type { ImageService } from '../images/image.service.js';
import type { Clock } from '../shared/clock.js';
import { allowsExpiringLinks } from '../tiers/tier-policy.js';
import type { User } from '../users/user.entity.js';
import type { LinkUrls } from './link-urls.js';

export const MIN_EXPIRES_IN = 300;
export const MAX_EXPIRES_IN = 30_000;

export interface ExpiringLinkResult {
  url: string;
  expiresAt: Date;
}

export class LinkService {
  constructor(
    private readonly images: ImageService,
    private readonly urls: LinkUrls,
    private readonly clock: Clock,
  ) {}

  /** A link to the original that works for `expiresIn` seconds, while the owner's tier still has expiring links. */
  async createExpiring(viewer: User, imageId: string, expiresIn: number): Promise<ExpiringLinkResult> {
    if (!Number.isInteger(expiresIn) || expiresIn < MIN_EXPIRES_IN || expiresIn > MAX_EXPIRES_IN) {
      throw new BadUserInputError(`expiresIn must be a whole number of seconds from ${MIN_EXPIRES_IN} to ${MAX_EXPIRES_IN}`, { field: 'expiresIn' });
    }
    if (!allowsExpiringLinks(viewer.tier)) throw new ForbiddenError(`The ${viewer.tier.name} tier has no expiring links`);
    const image = await this.images.get(viewer, imageId);
    const expiresAt = Math.floor(this.clock.now().getTime() / 1000) + expiresIn;
    return { url: this.urls.expiring(image.id, expiresAt), expiresAt: new Date(expiresAt * 1000) };
  }
}
