import type { Request, Response } from 'express';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.js';
import { currentRequestId, requestScope } from './request-scope.js';

function serve(headers: Record<string, string>, handler: () => Promise<void> | void): Promise<Record<string, string>> {
  const sent: Record<string, string> = {};
  const res = { setHeader: (name: string, value: string) => (sent[name.toLowerCase()] = value) } as unknown as Response;
  return new Promise((done, fail) => {
    requestScope()({ headers } as Request, res, () => {
      Promise.resolve(handler()).then(() => done(sent), fail);
    });
  });
}

describe('request scope', () => {
  it('stamps every line logged while serving a request, however deep in async work, with its id', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const logger = createLogger('info', { write: (line: string) => void lines.push(JSON.parse(line)) });
    const sent = await serve({ 'x-request-id': 'req-42' }, async () => {
      await new Promise((resolve) => setImmediate(resolve));
      logger.info('deep inside the request');
    });
    logger.info('outside any request');
    expect(sent['x-request-id']).toBe('req-42');
    expect(lines).toEqual([
      expect.objectContaining({ msg: 'deep inside the request', reqId: 'req-42' }),
      expect.not.objectContaining({ reqId: expect.anything() }),
    ]);
  });

  it('keeps concurrent requests apart', async () => {
    const seen: Array<string | undefined> = [];
    await Promise.all(
      ['a', 'b', 'c'].map((id) =>
        serve({ 'x-request-id': id }, async () => {
          await new Promise((resolve) => setTimeout(resolve, 0));
          seen.push(`${id}=${currentRequestId()}`);
        }),
      ),
    );
    expect(seen.sort()).toEqual(['a=a', 'b=b', 'c=c']);
  });

  it.each(['', 'x'.repeat(65), 'has space', 'quote"inside', 'new\nline'])('replaces the offered id %j with a fresh UUID', async (offered) => {
    const sent = await serve({ 'x-request-id': offered }, () => {});
    expect(sent['x-request-id']).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});
