import { existsSync } from 'node:fs';
import { join } from 'node:path';
import express, { Router } from 'express';

/**
 * The built admin app at /admin, same origin as the API so no CORS is needed. Its CSP allows no inline
 * script; styles may be inline because MUI's emotion writes <style> tags at run time.
 */
export function adminUiRouter(dir: string, publicUrl: string): Router {
  const router = Router();
  const index = join(dir, 'index.html');
  const csp = [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    // thumbnails in the image list come from PUBLIC_URL, which may be another origin than the page's
    `img-src 'self' data: blob: ${new URL(publicUrl).origin}`,
    "font-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');

  router.use('/admin', (_req, res, next) => {
    res.set({ 'Content-Security-Policy': csp, 'X-Content-Type-Options': 'nosniff', 'Referrer-Policy': 'same-origin', 'X-Frame-Options': 'DENY' });
    next();
  });
  router.use(
    '/admin/assets',
    express.static(join(dir, 'assets'), { immutable: true, maxAge: '1y', index: false, fallthrough: false }),
  );
  router.use('/admin', express.static(dir, { index: false, maxAge: 0 }));
  router.get(['/admin', '/admin/{*path}'], (_req, res) => {
    if (!existsSync(index)) {
      res.status(404).type('text/plain').send('The admin app is not built: run `pnpm build` (or `pnpm start`) at the repository root.');
      return;
    }
    res.set('Cache-Control', 'no-cache').sendFile(index);
  });
  return router;
}
