import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import type { ByteRange, ObjectStream } from '../storage/storage.js';
import { contentRange, rangeAnswer, unsatisfiedRange } from './conditional-request.js';
import { sendError } from './error-responses.js';

/**
 * How a file's bytes go out once the link was granted and its headers set: the one range the request
 * asked for (206 with Content-Range), 416 for a range past the end, or the whole (200). HEAD gets the
 * headers of the whole, as GET without a range would (ranges are for GET alone).
 */

/** A thumbnail, from memory. */
export function sendBytes(req: IncomingMessage, res: ServerResponse, bytes: Buffer, etag: string): void {
  const answer = rangeAnswer(req.method, req.headers.range, ifRange(req), etag, bytes.length);
  if (answer.kind === 'unsatisfiable') return refuseRange(res, bytes.length);
  let body = bytes;
  if (answer.kind === 'part') {
    body = bytes.subarray(answer.range.start, answer.range.end + 1);
    res.statusCode = 206;
    res.setHeader('Content-Range', contentRange(answer.range, bytes.length));
  } else {
    res.statusCode = 200;
  }
  res.setHeader('Content-Length', body.length);
  res.end(req.method === 'HEAD' ? undefined : body);
}

/**
 * An original, streamed from storage; false when storage has no such file. `size` is the length the
 * serving facts know, which decides the range; what is sent is described by what storage says it
 * holds, so the answer stays true even if the file changed under the facts.
 */
export async function sendStored(req: IncomingMessage, res: ServerResponse, size: number, etag: string, open: (range?: ByteRange) => Promise<ObjectStream | undefined>): Promise<boolean> {
  const answer = rangeAnswer(req.method, req.headers.range, ifRange(req), etag, size);
  if (answer.kind === 'unsatisfiable') {
    refuseRange(res, size);
    return true;
  }
  const stored = await open(answer.kind === 'part' ? answer.range : undefined);
  if (!stored) return false;
  const { stream, range } = stored;
  if (range) res.writeHead(206, { 'Content-Range': contentRange(range, stored.size), 'Content-Length': String(range.end - range.start + 1) });
  else res.writeHead(200, { 'Content-Length': String(stored.size) });
  if (req.method === 'HEAD') {
    stream.destroy();
    res.end();
    return true;
  }
  await pipeline(stream, res).catch(() => {
    // the client went away mid-download; the stream is already closed
  });
  return true;
}

function refuseRange(res: ServerResponse, size: number): void {
  res.setHeader('Content-Range', unsatisfiedRange(size));
  sendError(res, 'file', 'RANGE_NOT_SATISFIABLE', 'No byte of the range asked for is in the file');
}

/** If-Range as sent once; a repeated one is no validator at all. */
function ifRange(req: IncomingMessage): string | undefined {
  const value = req.headers['if-range'];
  return typeof value === 'string' ? value : undefined;
}
