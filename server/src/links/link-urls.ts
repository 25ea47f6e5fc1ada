import { isUuid } from '../shared/ids.js';
import { VARIANT_FORMATS, type VariantFormat } from '../images/image-processor.js';
import type { LinkSigner } from './link-signer.js';

/** What a permanent link points at: one thumbnail height, or the original. */
export type Variant = { kind: 'thumbnail'; height: number } | { kind: 'original' };

export const variantName = (variant: Variant): string => (variant.kind === 'original' ? 'original' : `h${variant.height}`);

export function parseVariant(name: string): Variant | undefined {
  if (name === 'original') return { kind: 'original' };
  const match = /^h([1-9]\d{0,3})$/.exec(name);
  return match ? { kind: 'thumbnail', height: Number(match[1]) } : undefined;
}

/** What an expiring link's URL says: the link's id (made from now on), or, in URLs made before links were rows, the image and expiry. */
export type ExpiringLinkToken = { linkId: string } | { imageId: string; expiresAt: number };

const MAX_LINK_VERSION = 2 ** 31 - 1;

/**
 * Builds and reads the two kinds of link. Permanent links sign image id, variant and the image's link
 * version, so holding one thumbnail's link gives nothing else, and rotating the version retires every
 * old URL. Expiring links sign their id; what they grant is their row's. What the owner's tier allows
 * is checked when a link is used, not here.
 */
export class LinkUrls {
  constructor(
    private readonly publicUrl: string,
    private readonly signer: LinkSigner,
  ) {}

  /**
   * `format`: a thumbnail URL that always answers in that format (`h200.avif`), for `<picture>`
   * sources behind caches that ignore `Vary`. The signature is the thumbnail's: a format is a way of
   * sending what the link grants, not more of it.
   */
  permanent(imageId: string, variant: Variant, version: number, format?: VariantFormat): string {
    const name = variantName(variant);
    // version 0 signs what links signed before rotation existed, so those URLs stay valid
    const versioned = version === 0 ? '' : `v=${version}&`;
    const path = format && variant.kind === 'thumbnail' ? `${name}.${format}` : name;
    return `${this.publicUrl}/files/${imageId}/${path}?${versioned}sig=${this.signer.sign(permanentPayload(imageId, name, version))}`;
  }

  /** The variant, link version and any fixed format the URL was signed for, if its signature holds. */
  verifyPermanent(
    imageId: string,
    variantParam: string,
    versionParam: string | undefined,
    signature: unknown,
  ): { variant: Variant; version: number; format?: VariantFormat } | undefined {
    if (!isUuid(imageId)) return undefined;
    const [name, format, extra] = variantParam.split('.');
    const variant = parseVariant(name!);
    const version = versionParam === undefined ? 0 : /^[1-9]\d{0,9}$/.test(versionParam) ? Number(versionParam) : NaN;
    if (!variant || !(version <= MAX_LINK_VERSION)) return undefined;
    if (format !== undefined && (extra !== undefined || variant.kind !== 'thumbnail' || !VARIANT_FORMATS.includes(format as VariantFormat))) return undefined;
    if (!this.signer.verify(permanentPayload(imageId, name!, version), signature)) return undefined;
    return format ? { variant, version, format: format as VariantFormat } : { variant, version };
  }

  expiring(linkId: string): string {
    return `${this.publicUrl}/links/${linkId}.${this.signer.sign(`xlink:${linkId}`)}`;
  }

  /** The token's contents if its signature holds; expiry and revocation are the caller's checks. */
  verifyExpiring(token: string): ExpiringLinkToken | undefined {
    const current = /^([0-9a-f-]{36})\.([A-Za-z0-9_-]+)$/.exec(token);
    if (current) {
      const [, linkId, signature] = current as unknown as [string, string, string];
      return isUuid(linkId) && this.signer.verify(`xlink:${linkId}`, signature) ? { linkId } : undefined;
    }
    const legacy = /^([0-9a-f-]{36})\.(\d{1,12})\.([A-Za-z0-9_-]+)$/.exec(token);
    if (!legacy || !isUuid(legacy[1]!)) return undefined;
    const [, imageId, expiresAt, signature] = legacy as unknown as [string, string, string, string];
    if (!this.signer.verify(`link:${imageId}.${expiresAt}`, signature)) return undefined;
    return { imageId, expiresAt: Number(expiresAt) };
  }
}

function permanentPayload(imageId: string, variantName: string, version: number): string {
  return version === 0 ? `file:${imageId}/${variantName}` : `file:${imageId}/${variantName}@${version}`;
}
