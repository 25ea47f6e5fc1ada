import { timingSafeEqual } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Router, type RequestHandler } from 'express';
import { bearerChallenge } from '../shared/errors.js';
import type { Metrics } from './metrics.js';

const ROUTES: Array<[prefix: string, route: string]> = [
  ['/graphql', '/graphql'],
  ['/files/', '/files'],
  ['/links/', '/links'],
  ['/admin', '/admin'],
  ['/healthz', '/healthz'],
  ['/readyz', '/readyz'],
  ['/metrics', '/metrics'],
];

/** A route label from a fixed list, never the raw path, so scanners cannot mint new series. */
export function routeOf(path: string): string {
  return ROUTES.find(([prefix]) => path === prefix || path.startsWith(prefix))?.[1] ?? 'other';
}

/** Times every request from arrival to the last byte sent (or the client leaving). */
export function httpMetrics(metrics: Metrics): RequestHandler {
  return (req, res, next) => {
    timeRequest(metrics, routeOf(req.path), req, res);
    next();
  };
}

/** Times one request under `route` until its last byte is sent or the client leaves. */
export function timeRequest(metrics: Metrics, route: string, req: IncomingMessage, res: ServerResponse): void {
  const startedAt = performance.now();
  // 'close' follows 'finish' on every response, and comes alone when the client left first
  res.once('close', () => metrics.observeRequest(route, req.method, res.writableFinished ? res.statusCode : 'aborted', performance.now() - startedAt));
}

/** GET /metrics in Prometheus' text format, behind a bearer token when one is configured. */
export function metricsRoute(metrics: Metrics, token: string | undefined): Router {
  const router = Router();
  const expected = token ? Buffer.from(`Bearer ${token}`) : undefined;
  router.get('/metrics', async (req, res) => {
    if (expected) {
      const given = Buffer.from(req.headers.authorization ?? '');
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
        // RFC 6750: a plain challenge when no credential was sent, invalid_token for a wrong one
        const challenge = bearerChallenge(req.headers.authorization ? 'invalid_token' : null);
        res.status(401).set('WWW-Authenticate', challenge).json({ errors: [{ message: 'metrics need the METRICS_TOKEN bearer token', extensions: { code: 'UNAUTHENTICATED' } }] });
        return;
      }
    }
    res.set('Content-Type', metrics.registry.contentType).set('Cache-Control', 'no-store');
    res.send(await metrics.scrape());
  });
  return router;
}
