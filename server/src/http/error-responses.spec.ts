import { ServerResponse, IncomingMessage } from 'node:http';
import { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { HTTP_STATUS } from '../shared/errors.js';
import { codeOfStatus, sendError, type ErrorShape } from './error-responses.js';

/** A response that keeps what was written instead of sending it. */
function capture(): { res: ServerResponse; sent: () => { status: number; headers: Record<string, unknown>; body: any } } {
  const res = new ServerResponse(new IncomingMessage(new Socket()));
  const chunks: Buffer[] = [];
  res.write = ((chunk: Buffer | string) => (chunks.push(Buffer.from(chunk)), true)) as typeof res.write;
  res.end = ((chunk?: Buffer | string) => {
    if (chunk) chunks.push(Buffer.from(chunk));
    return res;
  }) as typeof res.end;
  return { res, sent: () => ({ status: res.statusCode, headers: res.getHeaders(), body: JSON.parse(Buffer.concat(chunks).toString()) }) };
}

function answer(shape: ErrorShape, ...args: [keyof typeof HTTP_STATUS, string, Record<string, unknown>?]) {
  const { res, sent } = capture();
  res.setHeader('ETag', '"stale"');
  res.setHeader('Content-Type', 'image/png');
  sendError(res, shape, ...args);
  return sent();
}

describe('error responses outside GraphQL execution', () => {
  it('answers GraphQL routes as a GraphQL client reads any error', () => {
    const sent = answer('graphql', 'PAYLOAD_TOO_LARGE', 'request entity too large');
    expect(sent.status).toBe(413);
    expect(sent.body).toEqual({ errors: [{ message: 'request entity too large', extensions: { code: 'PAYLOAD_TOO_LARGE' } }] });
  });

  it('answers file routes with { error: { code, message } } and drops the headers that described the file', () => {
    const sent = answer('file', 'LINK_EXPIRED', 'This link has expired');
    expect(sent.status).toBe(410);
    expect(sent.body).toEqual({ error: { code: 'LINK_EXPIRED', message: 'This link has expired' } });
    expect(sent.headers['etag']).toBeUndefined();
    expect(sent.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(sent.headers['cache-control']).toBe('no-store');
  });

  it('takes the status from the one table for both shapes, and tells a refused client when to retry', () => {
    for (const shape of ['graphql', 'file'] as const) {
      const busy = answer(shape, 'SERVICE_UNAVAILABLE', 'busy', { reason: 'QUEUE_FULL' });
      expect(busy.status).toBe(HTTP_STATUS.SERVICE_UNAVAILABLE);
      expect(busy.headers['retry-after']).toBe('1');
      expect(JSON.stringify(busy.body)).toContain('"reason":"QUEUE_FULL"');
      expect(answer(shape, 'NOT_FOUND', 'gone').headers['retry-after']).toBeUndefined();
    }
  });

  it('names the statuses libraries raise without a code', () => {
    expect([400, 403, 404, 413, 415, 418, 499, 500, 502].map(codeOfStatus)).toEqual([
      'BAD_REQUEST',
      'FORBIDDEN',
      'NOT_FOUND',
      'PAYLOAD_TOO_LARGE',
      'UNSUPPORTED_MEDIA_TYPE',
      'BAD_REQUEST',
      'CLIENT_CLOSED_REQUEST',
      'INTERNAL_SERVER_ERROR',
      'INTERNAL_SERVER_ERROR',
    ]);
  });
});
