import { createHash, randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { expect } from 'vitest';
import { until } from './polling.js';
import type { TestServer } from './test-server.js';

/** Hex SHA-256, as a client computes it before uploading. */
export const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

/** One series of the server's /metrics (no METRICS_TOKEN in tests), e.g. `images_duplicate_uploads_total`; 0 when absent. */
export async function metric(server: TestServer, series: string): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

/** Image jobs run for uploads so far: what a duplicate must not add to. */
export const uploadJobs = (server: TestServer) => metric(server, 'image_processing_duration_seconds_count{trigger="upload"}');

/**
 * Sends `uploadImage` over a raw socket and drops the connection once the server has committed the
 * image (its row exists), without reading the answer: the client of a connection that broke after the
 * upload succeeded, who cannot know whether it did.
 */
export async function uploadAndHangUp(server: TestServer, token: string, data: Buffer, name = 'dropped.png'): Promise<void> {
  const boundary = `----hangup${randomBytes(8).toString('hex')}`;
  const part = (headers: string, body: Buffer | string) => Buffer.concat([Buffer.from(`--${boundary}\r\n${headers}\r\n\r\n`), Buffer.from(body), Buffer.from('\r\n')]);
  const body = Buffer.concat([
    part('Content-Disposition: form-data; name="operations"', JSON.stringify({ query: 'mutation($file: Upload!) { uploadImage(file: $file) { id } }', variables: { file: null } })),
    part('Content-Disposition: form-data; name="map"', JSON.stringify({ 0: ['variables.file'] })),
    part(`Content-Disposition: form-data; name="0"; filename="${name}"\r\nContent-Type: application/octet-stream`, data),
    Buffer.from(`--${boundary}--\r\n`),
  ]);
  const { port } = new URL(server.url);
  const socket = connect(Number(port), '127.0.0.1');
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  socket.on('error', () => {});
  socket.write(
    `POST /graphql HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: Bearer ${token}\r\nApollo-Require-Preflight: true\r\n` +
      `Content-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: ${body.length}\r\n\r\n`,
  );
  socket.write(body);
  // the row is the commit: from here the upload stands whatever happens to the connection
  await until(async () => (await server.sql('select 1 from images where sha256 = $1', [sha256(data)])).length > 0, 'the upload to commit');
  socket.destroy();
}

/** Each user's usage row against what the images table says now: they must be equal, always. */
export async function expectUsageInStep(server: TestServer): Promise<void> {
  const counted = await server.sql<{ user_id: string; images: number; bytes: string }>(
    `select us.id as user_id, coalesce(u.images, 0) as images, coalesce(u.bytes, 0)::text as bytes from users us left join user_usage u on u.user_id = us.id order by us.id`,
  );
  const actual = await server.sql<{ user_id: string; images: number; bytes: string }>(
    `select us.id as user_id, count(i.id)::int as images, coalesce(sum(i.bytes), 0)::text as bytes from users us left join images i on i.owner_id = us.id group by us.id order by us.id`,
  );
  expect(counted).toEqual(actual);
  // no usage row outlives its user
  expect(await server.sql('select user_id from user_usage where user_id not in (select id from users)')).toEqual([]);
}
