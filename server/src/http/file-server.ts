import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { LRUCache } from 'lru-cache';
import type { AppDeps } from '../graphql/context.js';
import { isRefusal, type LinkAccess, type LinkGrant, type LinkRefusalCode } from '../links/link-access.js';
import { writeAccessLine } from '../observability/access-log.js';
import type { Logger } from '../shared/logger.js';
import { requestIdOf, runInRequestScope } from '../shared/request-scope.js';
import type { Admit } from './admission.js';
import { noneMatch } from './conditional-request.js';
import { sendError } from './error-responses.js';
import { sendBytes, sendStored } from './file-bodies.js';
import { ALLOWED_METHODS, contentTypeOf, fileHeaders, LINK_ROUTE_HEADERS, PREFLIGHT_HEADERS } from './link-headers.js';
import { negotiateFormat } from './accept.js';
import { thumbnailBytes } from './thumbnail-answers.js';
import type { VariantFormat } from '../images/image-processor.js';

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
  /** The negotiated format its bytes are in; undefined for the upload's own. */
  format: VariantFormat | undefined;
  etag: string;
  /** Route and file headers as `writeHead` takes them, name and value in turn. */
  headers: string[];
}

/**
 * The routes behind every link, on plain node:http: a hot thumbnail costs a map lookup, a cache check
 * and a write, with no router, no signature check and no database round trip (LinkAccess), and no
 * file read (the thumbnail LRU).
 */
export class FileServer {
  // by URL, then by the format the request negotiated ('own': the upload's): one URL answers several
  private readonly hot = new LRUCache<string, Partial<Record<VariantFormat | 'own', HotLink>>>({ max: HOT_LINKS });

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
      // a CORS preflight (a script's GET with Range or If-None-Match), answered without a look at the link
      if (req.method === 'OPTIONS') return void res.writeHead(204, PREFLIGHT_HEADERS).end();
      res.setHeader('Allow', ALLOWED_METHODS);
      return refuse(res, 'METHOD_NOT_ALLOWED', 'Links answer GET and HEAD only');
    }
    const admitted = this.admit(req, res, 'file');
    // shed at once: already answered, with the route's headers
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
    const hot = this.hot.get(url)?.[negotiateFormat(req.headers.accept, this.deps.config.thumbnailFormats) ?? 'own'];
    if (hot === undefined || !this.access.stillGranted(hot.grant)) return false;
    if (noneMatch(req.headers['if-none-match'], hot.etag)) {
      res.writeHead(304, [...hot.headers, 'X-Request-Id', requestId]).end();
      return true;
    }
    // a range of a thumbnail is rare: the full path cuts it
    if (req.headers.range !== undefined) return false;
    const bytes = this.deps.files.cachedThumbnail(hot.grant.image, hot.height, hot.format);
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
    // a thumbnail goes out in the format its URL fixes, or the best one the request's Accept names
    const asked = variant.kind === 'thumbnail' ? (grant.format ?? negotiateFormat(req.headers.accept, this.deps.config.thumbnailFormats)) : undefined;
    let headers = fileHeaders(grant, asked);
    for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
    if (noneMatch(req.headers['if-none-match'], headers.ETag)) {
      res.statusCode = 304;
      res.end();
      return;
    }
    const { files, config } = this.deps;
    const accel = config.filesAccelRedirectPrefix;
    if (variant.kind === 'thumbnail') {
      const key = accel && (await files.localFileKey(image, variant.height, asked));
      if (key) return handOff(res, accel, key);
      const answer = await thumbnailBytes(this.deps, this.logger, image, variant.height, asked);
      if ('refused' in answer) return refuse(res, answer.refused, answer.message);
      const { bytes, format } = answer;
      if (format !== asked) {
        headers = fileHeaders(grant, format);
        for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
      }
      // made just now: from here the proxy sends it like any other
      const made = accel && (await files.localFileKey(image, variant.height, format));
      if (made) return handOff(res, accel, made);
      if (hotKey !== undefined && format === asked && this.deps.files.holdsThumbnail(image, variant.height, format)) {
        const hotHeaders = Object.entries({ ...LINK_ROUTE_HEADERS, ...headers }).flat();
        const negotiated = grant.format ? negotiateFormat(req.headers.accept, config.thumbnailFormats) : format;
        const formats = this.hot.get(hotKey) ?? {};
        formats[negotiated ?? 'own'] = { grant, height: variant.height, format, etag: headers.ETag, headers: hotHeaders };
        this.hot.set(hotKey, formats);
      }
      return sendBytes(req, res, bytes, headers.ETag);
    }
    const etag = headers.ETag;
    if (accel) {
      const key = await files.localFileKey(image);
      if (!key) return refuse(res, 'NOT_FOUND', 'This image’s file is missing');
      return handOff(res, accel, key);
    }
    const redirect = config.originalRedirect;
    if (redirect && image.bytes >= redirect.minBytes) {
      // the tier check has passed; the store serves the bytes, for less time than any cache keeps a redirect
      const seconds = Math.max(1, Math.min(redirect.seconds, lifetime ?? redirect.seconds));
      const url = await files.originalUrl(image, seconds, { contentType: contentTypeOf(image.format), contentDisposition: headers['Content-Disposition'], cacheControl: `private, max-age=${seconds}` });
      if (url) {
        // the store answers the redirected request, Range included, with headers of its own
        for (const header of ['Content-Type', 'ETag', 'Content-Disposition', 'Accept-Ranges']) res.removeHeader(header);
        res.writeHead(302, { Location: url, 'Cache-Control': 'no-store' }).end();
        return;
      }
    }
    const sent = await sendStored(req, res, image.bytes, etag, (range) => files.streamOriginal(image, range));
    if (!sent) refuse(res, 'NOT_FOUND', 'This image’s file is missing');
  }
}

/** Headers every answer of these routes carries, set before anything else is decided. */
function prepare(res: ServerResponse, requestId: string): void {
  res.setHeader('X-Request-Id', requestId);
  for (const [name, value] of Object.entries(LINK_ROUTE_HEADERS)) res.setHeader(name, value);
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
  // nginx answers ranges of the file and says so itself; ours would be kept beside its own
  res.removeHeader('Accept-Ranges');
  res.writeHead(200, { 'X-Accel-Redirect': `${prefix}${key}` }).end();
}

function refuse(res: ServerResponse, code: LinkRefusalCode | 'RATE_LIMITED' | 'IMAGE_CORRUPT' | 'METHOD_NOT_ALLOWED' | 'INTERNAL_SERVER_ERROR', message: string): void {
  sendError(res, 'file', code, message);
}
