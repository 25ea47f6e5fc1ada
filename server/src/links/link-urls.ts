import { isUuid } from '../shared/ids.js';
import type { LinkSigner } from './link-signer.js';

/** What a permanent link points at: one thumbnail height, or the original. */
export type Variant = { kind: 'thumbnail'; height: number } | { kind: 'original' };

export const variantName = (variant: Variant): string => (variant.kind === 'original' ? 'original' : `h${variant.height}`);

export function parseVariant(name: string): Variant | undefined {
  if (name === 'original') return { kind: 'original' };
  const match = /^h([1-9]\d{0,3})$/.exec(name);
  return match ? { kind: 'thumbnail', height: Number(match[1]) } : undefined;
}

export interface ExpiringLinkToken {
  imageId: string;
  /** Unix seconds. */
  expiresAt: number;
}

/**
 * Builds and reads the two kinds of link. Permanent links sign image id and variant, so holding one
 * thumbnail's link gives nothing else; expiring links also sign their expiry. What the owner's tier
 * allows is checked when a link is used, not here.
 */
export class LinkUrls {
  constructor(
    private readonly publicUrl: string,
    private readonly signer: LinkSigner,
  ) {}

  permanent(imageId: string, variant: Variant): string {
    const name = variantName(variant);
    return `${this.publicUrl}/files/${imageId}/${name}?sig=${this.signer.sign(`file:${imageId}/${name}`)}`;
  }

  verifyPermanent(imageId: string, variantParam: string, signature: unknown): Variant | undefined {
    if (!isUuid(imageId)) return undefined;
    const variant = parseVariant(variantParam);
    if (!variant || !this.signer.verify(`file:${imageId}/${variantParam}`, signature)) return undefined;
    return variant;
  }

  expiring(imageId: string, expiresAt: number): string {
    const payload = `${imageId}.${expiresAt}`;
    return `${this.publicUrl}/links/${payload}.${this.signer.sign(`link:${payload}`)}`;
  }

  /** The token's contents if its signature holds; expiry is the caller's check, against its clock. */
  verifyExpiring(token: string): ExpiringLinkToken | undefined {
    const match = /^([0-9a-f-]{36})\.(\d{1,12})\.([A-Za-z0-9_-]+)$/.exec(token);
    if (!match || !isUuid(match[1]!)) return undefined;
    const [, imageId, expiresAt, signature] = match as unknown as [string, string, string, string];
    if (!this.signer.verify(`link:${imageId}.${expiresAt}`, signature)) return undefined;
    return { imageId, expiresAt: Number(expiresAt) };
  }
}
