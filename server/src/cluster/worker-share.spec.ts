import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config/env.js';
import { workerShare } from './worker-share.js';

const config = (env: Record<string, string> = {}) =>
  loadConfig({ NODE_ENV: 'test', AUTH_SECRET: 'a-secret-that-is-long-enough-0123456789', LINK_SIGNING_KEYS: 'a-link-key-that-is-long-enough-0123456789', ...env });

describe(workerShare.name, () => {
  it('shares the image threads out so processes × threads stay within the set total', () => {
    expect(workerShare(config({ IMAGE_WORKERS: '4' }), 2, 'postgres://db', 3000).IMAGE_WORKERS).toBe('2');
    expect(workerShare(config({ IMAGE_WORKERS: '5' }), 2, 'postgres://db', 3000).IMAGE_WORKERS).toBe('2');
    // never none: a worker with no image thread could not take an upload
    expect(workerShare(config({ IMAGE_WORKERS: '2' }), 4, 'postgres://db', 3000).IMAGE_WORKERS).toBe('1');
  });

  it('shares the request and queue limits out, keeping a limit of 0 at 0', () => {
    const share = workerShare(config({ MAX_REQUESTS_IN_FLIGHT: '32', MAX_REQUESTS_QUEUED: '0', IMAGE_QUEUE_LIMIT: '15' }), 2, 'postgres://db', 3000);
    expect(share).toMatchObject({ MAX_REQUESTS_IN_FLIGHT: '16', MAX_REQUESTS_QUEUED: '0', IMAGE_QUEUE_LIMIT: '8' });
  });

  it('points every worker at the primary’s database and port, with no background jobs and no cluster of its own', () => {
    expect(workerShare(config(), 2, 'postgres://u:p@127.0.0.1:5444/imageapi', 4123)).toMatchObject({
      DATABASE_URL: 'postgres://u:p@127.0.0.1:5444/imageapi',
      PORT: '4123',
      JOBS_WORKER: 'off',
      WEB_CONCURRENCY: '1',
    });
  });
});
