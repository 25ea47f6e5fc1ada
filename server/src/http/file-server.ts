import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { pipeline } from 'node:stream/promises';
import { LRUCache } from 'lru-cache';
import type { AppDeps } from '../graphql/context.js';
import { RateLimitedError, StoredImageCorruptError } from '../shared/errors.js';
import { ImageFormat } from '../images/image.entity.js';
import { isRefusal, type LinkAccess, type LinkGrant, type LinkRefusalCode } from '../links/link-access.js';
import { variantName } from '../links/link-urls.js';
import { writeAccessLine } from '../observability/access-log.js';
import type { Logger } from '../shared/logger.js';
import { requestIdOf, runInRequestScope } from '../shared/request-scope.js';
import type { Admit } from './admission.js';
import { sendError } from './error-responses.js';
import { extensionOf } from '../images/storage-keys.js';

const CONTENT_TYPES: Record<ImageFormat, string> = { PNG: 'image/png', JPEG: 'image/jpeg' };

/**
 * On every answer of these routes, refusals and 304s included: a browser must never sniff or run what
 * comes from here. Cross-origin because links are made to be embedded (`<img src>`) by other sites.
 */
const SECURITY_HEADERS = {
  'X-Content-Type-Options': 'nosniff',
  'Content-Security-Policy': "default-src 'none'; sandbox",
  'Cross-Origin-Resource-Policy': 'cross-origin',
} as const;

/** Whether a request is for the link routes, which this server answers without Express. */
export function isLinkPath(url: string | undefined): boolean {
  return url !== undefined && (url.startsWith('/files/') || url.startsWith('/links/') || url === '/files' || url === '/links' || url.startsWith('/files?') || url.startsWith('/links?'));
}

/**
 * Thumbnail links (permanent, or expiring links that are rows) answered lately, by exact URL. A link in here was verified and granted; it
 * is answered again without decoding, verifying (an HMAC is most of a request's CPU) or awaiting
 * anything, for as long as the image's serving facts are the very object it was granted on and its
 * bytes are in the thumbnail cache. Small: it holds links, not bytes, and only hot ones matter.
 */
const HOT_LINKS = 10_000;

interface HotLink {
  grant: LinkGrant;
  height: number;
  etag: string;
  /** Security and file headers as `writeHead` takes them, name and value in turn. */
  headers: string[];
}

/**
 * The routes behind every link, on plain node:http: a hot thumbnail costs a map lookup, a cache check
 * and a write, with no router, no signature check and no database round trip (LinkAccess), and no
 * file read (the thumbnail LRU).
 */
export class FileServer {
  private readonly hot = new LRUCache<string, HotLink>({ max: HOT_LINKS });

  constructor(
    private readonly deps: Pick<AppDeps, 'config' | 'files' | 'thumbnails' | 'metrics'>,
    private readonly access: LinkAccess,
    private readonly admit: Admit,
    private readonly logger: Logger,
  ) {}

  readonly handle = (req: IncomingMessage, res: ServerResponse): void => {
    const startedAt = performance.now();
    const requestId = requestIdOf(req);
    const url = req.url ?? '/';
    const query = url.indexOf('?');
    const path = query === -1 ? url : url.slice(0, query);
    const route = path.startsWith('/files') ? '/files' : '/links';
    res.once('close', () => {
      const status = res.writableFinished ? res.statusCode : 'aborted';
      const ms = performance.now() - startedAt;
      this.deps.metrics.observeRequest(route, req.method, status, ms);
      if (this.logs(status)) writeAccessLine(this.logger, requestId, req.method, path, status, ms);
    });
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      prepare(res, requestId);
      res.setHeader('Allow', 'GET, HEAD');
      return refuse(res, 'METHOD_NOT_ALLOWED', 'Links answer GET and HEAD only');
    }
    const admitted = this.admit(req, res, 'file');
    // shed at once: already answered (setting headers now would throw ERR_HTTP_HEADERS_SENT)
    if (admitted === false) return;
    if (admitted === true && this.sendHot(req, res, url, requestId)) return;
    prepare(res, requestId);
    runInRequestScope(requestId, () =>
      this.serve(req, res, url, path, query === -1 ? '' : url.slice(query + 1), admitted).catch((error) => {
        this.logger.error({ err: error, path }, 'request failed');
        if (!res.headersSent) refuse(res, 'INTERNAL_SERVER_ERROR', 'Internal server error');
        else res.destroy();
      }),
    );
  };

  /** Whether an answer gets an access line (LINK_ACCESS_LOG). */
  private logs(status: number | 'aborted'): boolean {
    const mode = this.deps.config.linkAccessLog;
    return mode === 'all' || (mode === 'errors' && typeof status === 'number' && status >= 400);
  }

  /** Answers a hot link synchronously when its grant and bytes still hold; false leaves the request untouched. */
  private sendHot(req: IncomingMessage, res: ServerResponse, url: string, requestId: string): boolean {
    const hot = this.hot.get(url);
    if (hot === undefined || !this.access.stillGranted(hot.grant)) return false;
    if (req.headers['if-none-match'] === hot.etag) {
      res.writeHead(304, [...hot.headers, 'X-Request-Id', requestId]).end();
      return true;
    }
    const bytes = this.deps.files.cachedThumbnail(hot.grant.image, hot.height);
    if (!bytes) return false;
    res.writeHead(200, [...hot.headers, 'X-Request-Id', requestId, 'Content-Length', String(bytes.length)]);
    res.end(req.method === 'HEAD' ? undefined : bytes);
    return true;
  }

  private async serve(req: IncomingMessage, res: ServerResponse, url: string, path: string, query: string, admitted: boolean | Promise<boolean>): Promise<void> {
    if (!(await admitted)) return;
    const segments = decodeSegments(path);
    let answer;
    if (segments?.length === 3 && segments[0] === 'files') {
      const { signature, version } = linkParams(query);
      answer = await this.access.permanent(segments[1]!, segments[2]!, version, signature);
    } else if (segments?.length === 2 && segments[0] === 'links') {
      answer = await this.access.expiring(segments[1]!);
    } else {
      // a token with a slash in it, a segment too many, or a percent-escape that is not UTF-8
      return refuse(res, 'LINK_INVALID', 'This link is not valid');
    }
    if (isRefusal(answer)) return refuse(res, answer.refused, answer.message);
    // hot: permanent links, and expiring links that are rows (their answers' headers never change;
    // those made before links were rows carry a max-age that shrinks)
    await this.send(req, res, answer, segments[0] === 'files' || answer.link ? url : undefined);
  }

  /** `hotKey`: the URL under which a thumbnail sent from memory is remembered as hot. */
  private async send(req: IncomingMessage, res: ServerResponse, grant: LinkGrant, hotKey: string | undefined): Promise<void> {
    const { image, variant, lifetime } = grant;
    const headers = fileHeaders(grant);
    for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
    const etag = headers.ETag;
    const disposition = headers['Content-Disposition'];
    if (req.headers['if-none-match'] === etag) {
      res.statusCode = 304;
      res.end();
      return;
    }
    const { files, config } = this.deps;
    const accel = config.filesAccelRedirectPrefix;
    if (variant.kind === 'thumbnail') {
      const key = accel && (await files.localFileKey(image, variant.height));
      if (key) return handOff(res, accel, key);
      let bytes: Buffer | undefined;
      try {
        bytes = await this.deps.thumbnails.get(image, variant.height);
      } catch (error) {
        if (error instanceof RateLimitedError) return refuse(res, 'RATE_LIMITED', error.message);
        if (error instanceof StoredImageCorruptError) return refuse(res, 'IMAGE_CORRUPT', error.message);
        throw error;
      }
      if (!bytes) return refuse(res, 'NOT_FOUND', 'This image’s file is missing');
      // made just now: from here the proxy sends it like any other
      const made = accel && (await files.localFileKey(image, variant.height));
      if (made) return handOff(res, accel, made);
      if (hotKey !== undefined && this.deps.files.holdsThumbnail(image, variant.height)) {
        const hotHeaders = Object.entries({ ...SECURITY_HEADERS, ...headers }).flat();
        this.hot.set(hotKey, { grant, height: variant.height, etag, headers: hotHeaders });
      }
      res.setHeader('Content-Length', bytes.length);
      res.statusCode = 200;
      res.end(req.method === 'HEAD' ? undefined : bytes);
      return;
    }
    if (accel) {
      const key = await files.localFileKey(image);
      if (!key) return refuse(res, 'NOT_FOUND', 'This image’s file is missing');
      return handOff(res, accel, key);
    }
    const redirect = config.originalRedirect;
    if (redirect && image.bytes >= redirect.minBytes) {
      // the tier check has passed; the store serves the bytes, for less time than any cache keeps a redirect
      const seconds = Math.max(1, Math.min(redirect.seconds, lifetime ?? redirect.seconds));
      const url = await files.originalUrl(image, seconds, { contentType: CONTENT_TYPES[image.format], contentDisposition: disposition, cacheControl: `private, max-age=${seconds}` });
      if (url) {
        for (const header of ['Content-Type', 'ETag', 'Content-Disposition']) res.removeHeader(header);
        res.writeHead(302, { Location: url, 'Cache-Control': 'no-store' }).end();
        return;
      }
    }
    const original = await files.streamOriginal(image);
    if (!original) return refuse(res, 'NOT_FOUND', 'This image’s file is missing');
    res.writeHead(200, { 'Content-Length': String(original.size) });
    if (req.method === 'HEAD') {
      original.stream.destroy();
      res.end();
      return;
    }
    await pipeline(original.stream, res).catch(() => {
      // the client went away mid-download; the stream is already closed
    });
  }
}

/** What every answer with the file carries, a 304 included. */
function fileHeaders({ image, variant, cacheControl }: LinkGrant) {
  const name = variantName(variant);
  return {
    'Content-Type': CONTENT_TYPES[image.format],
    'Content-Disposition': `inline; filename="${image.id}-${name}.${extensionOf(image.format)}"`,
    'Cache-Control': cacheControl,
    ETag: `"${image.id}-${name}"`,
  };
}

/** Headers every answer of these routes carries, set before anything else is decided. */
function prepare(res: ServerResponse, requestId: string): void {
  res.setHeader('X-Request-Id', requestId);
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
}

/** The path's segments, percent-decoded; undefined when an escape is not UTF-8. */
function decodeSegments(path: string): string[] | undefined {
  try {
    return path.slice(1).split('/').map(decodeURIComponent);
  } catch {
    return undefined;
  }
}

/**
 * `sig` when given once, and `v` (the link version) when given; a repeated or missing `sig` stays
 * something no signature check accepts, and a repeated `v` one no version check does.
 */
function linkParams(query: string): { signature: unknown; version: string | undefined } {
  const params = new URLSearchParams(query);
  const signatures = params.getAll('sig');
  const versions = params.getAll('v');
  return { signature: signatures.length === 1 ? signatures[0] : signatures, version: versions.length > 1 ? '' : versions[0] };
}

/** Headers only: the proxy in front (nginx, `internal` location) sends the file from the same folder. */
function handOff(res: ServerResponse, prefix: string, key: string): void {
  res.writeHead(200, { 'X-Accel-Redirect': `${prefix}${key}` }).end();
}

function refuse(res: ServerResponse, code: LinkRefusalCode | 'RATE_LIMITED' | 'IMAGE_CORRUPT' | 'METHOD_NOT_ALLOWED' | 'INTERNAL_SERVER_ERROR', message: string): void {
  sendError(res, 'file', code, message);
}
