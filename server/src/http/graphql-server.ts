import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { HeaderMap, type ApolloServer, type BaseContext, type HTTPGraphQLRequest } from '@apollo/server';
import proxyaddr from 'proxy-addr';
import type { TrustProxy } from '../config/trust-proxy.js';
import type { Metrics } from '../observability/metrics.js';
import { writeAccessLine } from '../observability/access-log.js';
import type { Logger } from '../shared/logger.js';
import { requestIdOf, runInRequestScope } from '../shared/request-scope.js';
import type { Admit } from './admission.js';
import { sendError } from './error-responses.js';

/** Largest JSON body, as `express.json({ limit: '1mb' })` took it. */
const MAX_JSON_BYTES = 1024 * 1024;

type Middleware = (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void;

export interface GraphqlServerOptions<TContext extends BaseContext> {
  apollo: ApolloServer<TContext>;
  /** Builds the operation's context from the request and the client's address (after TRUST_PROXY). */
  context: (req: IncomingMessage, clientAddress: string | undefined) => Promise<TContext>;
  cors: Middleware;
  admit: Admit;
  metrics: Metrics;
  logger: Logger;
  trustProxy: TrustProxy;
}

/**
 * Whether node:http answers this request without Express: `/graphql` with a JSON body, a GET, or a
 * CORS preflight. Multipart uploads and every other content type keep Express's path (graphql-upload,
 * upload admission), whose answers the tests pin down.
 */
export function isPlainGraphqlRequest(req: IncomingMessage): boolean {
  const url = req.url;
  if (url === undefined || !(url === '/graphql' || url.startsWith('/graphql?'))) return false;
  if (req.method === 'GET' || req.method === 'OPTIONS') return true;
  // a compressed body is inflated by Express's parser
  return req.method === 'POST' && isJson(req.headers['content-type']) && req.headers['content-encoding'] === undefined;
}

function isJson(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  const semicolon = contentType.indexOf(';');
  return (semicolon === -1 ? contentType : contentType.slice(0, semicolon)).trim().toLowerCase() === 'application/json';
}

/**
 * `/graphql` on plain node:http: CORS, admission control, request id, metrics and access log as the
 * Express stack does them, then Apollo's own HTTP handling (`executeHTTPGraphQLRequest`). Express's
 * router, body parser and per-request URL parsing were about a third of a small query's CPU.
 */
export function graphqlServer<TContext extends BaseContext>(options: GraphqlServerOptions<TContext>): (req: IncomingMessage, res: ServerResponse) => void {
  const { logger, metrics } = options;
  const trust = compileTrust(options.trustProxy);
  return (req, res) => {
    const startedAt = performance.now();
    const requestId = requestIdOf(req);
    res.setHeader('X-Request-Id', requestId);
    res.once('close', () => {
      const status = res.writableFinished ? res.statusCode : 'aborted';
      const ms = performance.now() - startedAt;
      metrics.observeRequest('/graphql', req.method, status, ms);
      writeAccessLine(logger, requestId, req.method, '/graphql', status, ms);
    });
    const fail = (error: unknown) => {
      logger.error({ err: error, url: '/graphql' }, 'request failed');
      if (res.headersSent) res.destroy();
      else sendError(res, 'graphql', 'INTERNAL_SERVER_ERROR', 'Internal server error');
    };
    options.cors(req, res, (error) => {
      if (error) return fail(error);
      const admitted = options.admit(req, res);
      const serve = () =>
        runInRequestScope(requestId, () =>
          answer(req, res, options, proxyaddr(req, trust)).catch(fail),
        );
      if (admitted === true) serve();
      else if (admitted !== false) {
        admitted.then((ok) => {
          if (ok) serve();
        }, fail);
      }
    });
  };
}

async function answer<TContext extends BaseContext>(req: IncomingMessage, res: ServerResponse, options: GraphqlServerOptions<TContext>, clientAddress: string): Promise<void> {
  let body: unknown;
  if (req.method === 'POST') {
    const read = await readJson(req);
    if ('refused' in read) return sendError(res, 'graphql', read.refused.code, read.refused.message);
    body = read.body;
  }
  const url = req.url!;
  const query = url.indexOf('?');
  const headers = new HeaderMap();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
  }
  const httpGraphQLRequest: HTTPGraphQLRequest = { method: req.method!.toUpperCase(), headers, search: query === -1 ? '' : url.slice(query), body };
  const response = await options.apollo.executeHTTPGraphQLRequest({
    httpGraphQLRequest,
    context: () => options.context(req, clientAddress),
  });
  for (const [name, value] of response.headers) res.setHeader(name, value);
  res.statusCode = response.status ?? 200;
  if (response.body.kind === 'complete') {
    res.end(response.body.string);
    return;
  }
  for await (const chunk of response.body.asyncIterator) res.write(chunk);
  res.end();
}

type JsonRead = { body: unknown } | { refused: { code: 'PAYLOAD_TOO_LARGE' | 'BAD_REQUEST'; message: string } };

/** The request's JSON body, refused as `express.json` would: 413 over the limit, 400 when not JSON. */
async function readJson(req: IncomingMessage): Promise<JsonRead> {
  const declared = Number(req.headers['content-length']);
  if (declared > MAX_JSON_BYTES) {
    req.resume();
    return { refused: { code: 'PAYLOAD_TOO_LARGE', message: 'request entity too large' } };
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_JSON_BYTES) {
      req.resume();
      return { refused: { code: 'PAYLOAD_TOO_LARGE', message: 'request entity too large' } };
    }
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks, size).toString('utf8');
  // an empty body is what express.json left as `{}`; Apollo then says what is missing
  if (text.trim() === '') return { body: {} };
  try {
    return { body: JSON.parse(text) };
  } catch (error) {
    return { refused: { code: 'BAD_REQUEST', message: (error as Error).message } };
  }
}

/** TRUST_PROXY as Express's `trust proxy` reads it, for proxy-addr. */
function compileTrust(trust: TrustProxy): (address: string, hop: number) => boolean {
  if (trust === false) return () => false;
  if (typeof trust === 'number') return (_address, hop) => hop < trust;
  return proxyaddr.compile(trust);
}
