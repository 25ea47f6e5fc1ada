import { pipeline } from 'node:stream/promises';
import { Router, type ErrorRequestHandler, type Request, type Response } from 'express';
import type { AppDeps } from '../graphql/context.js';
import { RateLimitedError, StoredImageCorruptError } from '../graphql/errors.js';
import { ImageFormat } from '../images/image.entity.js';
import { extensionOf } from '../storage/paths.js';
import { variantName, type Variant } from '../links/link-urls.js';

interface ServedImage {
  id: string;
  format: ImageFormat;
  width: number;
  height: number;
  bytes: number;
  thumbnailHeights: number[];
  originalLink: boolean;
  expiringLinks: boolean;
}

const CONTENT_TYPES: Record<ImageFormat, string> = { PNG: 'image/png', JPEG: 'image/jpeg' };

/**
 * On every answer of these routes, refusals and 304s included: a browser must never sniff or run what
 * comes from here. Cross-origin because links are made to be embedded (`<img src>`) by other sites.
 */
const SECURITY_HEADERS = {
  'X-Content-Type-Options': 'nosniff',
  'Content-Security-Policy': "default-src 'none'; sandbox",
  'Cross-Origin-Resource-Policy': 'cross-origin',
};
const LINK_PATHS = ['/files', '/links'];

/**
 * The routes behind every link. A link proves which image and variant it was made for; whether the
 * owner's tier still allows that variant is checked on every request, so a downgrade or a removed
 * height stops the link at once.
 */
export function filesRouter(deps: AppDeps): Router {
  const router = Router();

  router.use(LINK_PATHS, (_req, res, next) => {
    res.set(SECURITY_HEADERS);
    next();
  });

  router.get('/files/:imageId/:variant', async (req, res) => {
    const variant = deps.links.verifyPermanent(String(req.params.imageId), String(req.params.variant), req.query.sig);
    if (!variant) return fail(res, 403, 'LINK_INVALID', 'This link is not valid');
    const image = await findImage(deps, String(req.params.imageId));
    if (!image) return fail(res, 404, 'NOT_FOUND', 'This image does not exist');
    const allowed = variant.kind === 'original' ? image.originalLink : image.thumbnailHeights.includes(variant.height);
    if (!allowed) return fail(res, 403, 'LINK_NOT_ALLOWED', 'The owner’s tier no longer includes this link');
    await send(deps, req, res, image, variant, 'private, no-cache', undefined);
  });

  router.get('/links/:token', async (req, res) => {
    const token = deps.links.verifyExpiring(String(req.params.token));
    if (!token) return fail(res, 403, 'LINK_INVALID', 'This link is not valid');
    const now = Math.floor(deps.clock.now().getTime() / 1000);
    if (now > token.expiresAt) return fail(res, 410, 'LINK_EXPIRED', 'This link has expired');
    const image = await findImage(deps, token.imageId);
    if (!image) return fail(res, 404, 'NOT_FOUND', 'This image does not exist');
    if (!image.expiringLinks) return fail(res, 403, 'LINK_NOT_ALLOWED', 'The owner’s tier no longer includes expiring links');
    // a cache may keep the bytes only as long as the link lives
    await send(deps, req, res, image, { kind: 'original' }, `private, max-age=${token.expiresAt - now}`, token.expiresAt - now);
  });

  // a token with a slash in it, or a path with a segment too many, is a bad link like any other
  router.get(['/files/{*rest}', '/links/{*rest}'], (_req, res) => fail(res, 403, 'LINK_INVALID', 'This link is not valid'));

  // a percent-escape that is not UTF-8 fails Express's parameter decoding (a 400) before the route runs
  router.use(LINK_PATHS, ((error, _req, res, next) => {
    if (error instanceof URIError) return fail(res, 403, 'LINK_INVALID', 'This link is not valid');
    next(error);
  }) satisfies ErrorRequestHandler);

  return router;
}

// named, so each pooled connection parses and plans it once: planning costs PostgreSQL several times
// what running it does, and this query runs on every file request
const IMAGE_QUERY = {
  name: 'files-route-image',
  text: `select i.id, i.format, i.width, i.height, i.bytes, t.thumbnail_heights, t.original_link, t.expiring_links
           from images i join users u on u.id = i.owner_id join tiers t on t.id = u.tier_id
          where i.id = $1`,
};

async function findImage(deps: AppDeps, id: string): Promise<ServedImage | undefined> {
  const pool = await deps.orm.em.getConnection().getNativeClient();
  const { rows } = await pool.query<Record<string, unknown>>({ ...IMAGE_QUERY, values: [id] });
  const row = rows[0];
  if (!row) return undefined;
  return {
    id: row.id as string,
    format: row.format as ImageFormat,
    width: row.width as number,
    height: row.height as number,
    bytes: row.bytes as number,
    thumbnailHeights: row.thumbnail_heights as number[],
    originalLink: row.original_link as boolean,
    expiringLinks: row.expiring_links as boolean,
  };
}

/** `lifetime`: seconds the link has left, for expiring links; a redirect never outlives it. */
async function send(deps: AppDeps, req: Request, res: Response, image: ServedImage, variant: Variant, cacheControl: string, lifetime: number | undefined): Promise<void> {
  const name = variantName(variant);
  const etag = `"${image.id}-${name}"`;
  res.set({
    'Content-Type': CONTENT_TYPES[image.format],
    'Content-Disposition': `inline; filename="${image.id}-${name}.${extensionOf(image.format)}"`,
    'Cache-Control': cacheControl,
    ETag: etag,
  });
  if (req.headers['if-none-match'] === etag) {
    res.status(304).end();
    return;
  }
  const accel = deps.config.filesAccelRedirectPrefix;
  if (variant.kind === 'thumbnail') {
    const key = accel && (await deps.files.localFileKey(image, variant.height));
    if (key) return handOff(res, accel, key);
    let bytes: Buffer | undefined;
    try {
      bytes = await deps.thumbnails.get(image, variant.height);
    } catch (error) {
      if (error instanceof RateLimitedError) return fail(res, 429, 'RATE_LIMITED', error.message);
      // our data is broken, not the request: a 5xx, but one that says what is wrong (already logged)
      if (error instanceof StoredImageCorruptError) return fail(res, 500, 'IMAGE_CORRUPT', error.message);
      throw error;
    }
    if (!bytes) return fail(res, 404, 'NOT_FOUND', 'This image’s file is missing');
    // made just now: from here the proxy sends it like any other
    const made = accel && (await deps.files.localFileKey(image, variant.height));
    if (made) return handOff(res, accel, made);
    res.status(200).end(bytes);
    return;
  }
  if (accel) {
    const key = await deps.files.localFileKey(image);
    if (!key) return fail(res, 404, 'NOT_FOUND', 'This image’s file is missing');
    return handOff(res, accel, key);
  }
  const redirect = deps.config.originalRedirect;
  if (redirect && image.bytes >= redirect.minBytes) {
    // the tier check above has passed; the store serves the bytes, for less time than any cache keeps a redirect
    const seconds = Math.max(1, Math.min(redirect.seconds, lifetime ?? redirect.seconds));
    const url = await deps.files.originalUrl(image, seconds, {
      contentType: CONTENT_TYPES[image.format],
      contentDisposition: String(res.getHeader('Content-Disposition')),
      cacheControl: `private, max-age=${seconds}`,
    });
    if (url) {
      for (const header of ['Content-Type', 'ETag', 'Content-Disposition']) res.removeHeader(header);
      res.status(302).set({ Location: url, 'Cache-Control': 'no-store' }).end();
      return;
    }
  }
  const original = await deps.files.streamOriginal(image);
  if (!original) return fail(res, 404, 'NOT_FOUND', 'This image’s file is missing');
  res.status(200).set('Content-Length', String(original.size));
  await pipeline(original.stream, res).catch(() => {
    // the client went away mid-download; the stream is already closed
  });
}

/** Headers only: the proxy in front (nginx, `internal` location) sends the file from the same folder. */
function handOff(res: Response, prefix: string, key: string): void {
  res.status(200).set('X-Accel-Redirect', `${prefix}${key}`).end();
}

function fail(res: Response, status: number, code: string, message: string): void {
  for (const header of ['Content-Type', 'ETag', 'Content-Disposition', 'Content-Length']) res.removeHeader(header);
  res.status(status).set('Cache-Control', 'no-store').json({ error: { code, message } });
}
