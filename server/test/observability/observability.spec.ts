import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jpeg } from '../support/images.js';
import { TestServer } from '../support/test-server.js';

const METRICS_TOKEN = 'metrics-token-0123456789abcdef';

let server: TestServer;
const logLines: Array<Record<string, unknown>> = [];

beforeAll(async () => {
  server = await TestServer.start({ env: { METRICS_TOKEN }, logLines });
});
afterAll(async () => {
  await server?.stop();
});

const scrape = async () => {
  const response = await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
  expect(response.status).toBe(200);
  return response.text();
};

/** The value of one series in Prometheus' text format, 0 when absent. */
function sample(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

describe('request ids', () => {
  it('gives each request an id and echoes it', async () => {
    const a = await fetch(`${server.url}/healthz`);
    const b = await fetch(`${server.url}/healthz`);
    expect(a.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(b.headers.get('x-request-id')).not.toBe(a.headers.get('x-request-id'));
  });

  it('keeps a plain id the caller sends, and replaces one that could forge log lines', async () => {
    const kept = await fetch(`${server.url}/healthz`, { headers: { 'x-request-id': 'lb-7f3a.42' } });
    expect(kept.headers.get('x-request-id')).toBe('lb-7f3a.42');
    const replaced = await fetch(`${server.url}/healthz`, { headers: { 'x-request-id': `evil","level":60,"x":"${'y'.repeat(80)}` } });
    expect(replaced.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('puts the id on the access log line of the request', async () => {
    logLines.length = 0;
    const response = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'trace-me-1' },
      body: JSON.stringify({ query: '{ me { id } }' }),
    });
    expect(((await response.json()) as any).errors[0].extensions.code).toBe('UNAUTHENTICATED');
    const lines = logLines.filter((line) => line.reqId === 'trace-me-1');
    expect(lines.length).toBeGreaterThan(0);
    const access = lines.find((line) => line.msg === 'request completed');
    expect(access).toMatchObject({ req: { method: 'POST', path: '/graphql' }, res: { status: 200 } });
  });

  it('logs the path of a file link without its signature', async () => {
    logLines.length = 0;
    await fetch(`${server.url}/files/00000000-0000-4000-8000-000000000000/h200?sig=secret-signature-value`);
    const text = JSON.stringify(logLines);
    expect(text).toContain('/files/00000000-0000-4000-8000-000000000000/h200');
    expect(text).not.toContain('secret-signature-value');
  });
});

describe('metrics', () => {
  it('refuses a scrape without the configured token', async () => {
    expect((await fetch(`${server.url}/metrics`)).status).toBe(401);
    expect((await fetch(`${server.url}/metrics`, { headers: { authorization: 'Bearer wrong-token-0123456789ab' } })).status).toBe(401);
  });

  it('counts GraphQL operations by root field and outcome, never by client-chosen names', async () => {
    const before = await scrape();
    const series = (outcome: string) => `graphql_operation_duration_seconds_count{field="me",type="query",outcome="${outcome}"}`;
    await server.gql('query WhoAmI { me { id } }');
    await server.gql('query SomeRandomName123 { me { id } }', undefined, server.adminToken);
    const after = await scrape();
    expect(sample(after, series('UNAUTHENTICATED')) - sample(before, series('UNAUTHENTICATED'))).toBe(1);
    expect(sample(after, series('ok')) - sample(before, series('ok'))).toBe(1);
    expect(after).not.toContain('SomeRandomName123');
  });

  it('labels HTTP requests by a fixed route list, so scanned paths add no series', async () => {
    await fetch(`${server.url}/wp-admin/setup-config.php`);
    await fetch(`${server.url}/healthz`);
    const text = await scrape();
    expect(text).not.toContain('wp-admin');
    expect(sample(text, 'http_request_duration_seconds_count{route="other",method="GET",status="404"}')).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'http_request_duration_seconds_count{route="/healthz",method="GET",status="200"}')).toBeGreaterThanOrEqual(1);
  });

  it('counts stored images and bytes, and times the thumbnail work', async () => {
    const before = await scrape();
    const user = await server.createUser();
    const bytes = await jpeg(640, 480);
    const result = await server.upload(user.token, [{ name: 'a.jpg', data: bytes, type: 'image/jpeg' }]);
    expect(result.errors).toBeUndefined();
    const after = await scrape();
    expect(sample(after, 'images_uploaded_total{format="JPEG"}') - sample(before, 'images_uploaded_total{format="JPEG"}')).toBe(1);
    expect(sample(after, 'images_uploaded_bytes_total') - sample(before, 'images_uploaded_bytes_total')).toBe(bytes.length);
    const jobs = 'image_processing_duration_seconds_count{trigger="upload"}';
    expect(sample(after, jobs) - sample(before, jobs)).toBe(1);
    expect(after).toMatch(/^image_processing_queue_depth 0$/m);
    expect(after).toMatch(/^storage_free_bytes [1-9]\d*$/m);
    expect(after).toMatch(/^process_resident_memory_bytes \d+/m);
  });
});

describe('readiness', () => {
  it('is ready when the database and the storage answer', async () => {
    const response = await fetch(`${server.url}/readyz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ status: 'ready', checks: { database: 'ok', storage: 'ok' } });
  });
});
