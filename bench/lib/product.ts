import { randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { answers, freePort, startService, type Service } from './processes.ts';

export const TIERS = {
  basic: '00000000-0000-4000-8000-000000000001',
  premium: '00000000-0000-4000-8000-000000000002',
  enterprise: '00000000-0000-4000-8000-000000000003',
} as const;

/** The product as a user runs it: the production build, embedded PostgreSQL, local storage. */
export interface Product {
  origin: string;
  pid: number;
  dataDir: string;
  mediaDir: string;
  /** The embedded PostgreSQL, for seeding and the raw-SQL figures. */
  pgUrl: string;
  metricsToken: string;
  admin: { username: string; password: string };
  /** The run's signing secrets, so the bare list anchor can check the product's own tokens and sign the same links. */
  secrets: { auth: string; linkKeys: string };
  service: Service;
}

const secret = () => randomBytes(32).toString('base64url');

/**
 * The environment of the built server run as a user would run it (production, embedded PostgreSQL and
 * local media under `dataDir`, loopback only), with fresh secrets and the given admin. Of this
 * process's own environment only PATH, HOME, LANG, TZ and the `inherit`ed names pass.
 */
export function productEnv(
  { port, pgPort, dataDir, admin }: { port: number; pgPort: number; dataDir: string; admin: { username: string; password: string } },
  inherit: string[] = [],
): NodeJS.ProcessEnv {
  const keep = ['PATH', 'HOME', 'LANG', 'TZ', ...inherit].filter((key) => process.env[key] !== undefined);
  return {
    ...Object.fromEntries(keep.map((key) => [key, process.env[key]])),
    NODE_ENV: 'production',
    // as `pnpm start` and the Docker image run it
    MALLOC_ARENA_MAX: '2',
    HOST: '127.0.0.1',
    PORT: String(port),
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    DATA_DIR: dataDir,
    EMBEDDED_PG_PORT: String(pgPort),
    AUTH_SECRET: secret(),
    LINK_SIGNING_KEYS: secret(),
    ADMIN_USERNAME: admin.username,
    ADMIN_PASSWORD: admin.password,
  };
}

/**
 * The file's bytes with `marker` written into a comment the decoders skip (a JPEG COM segment after
 * SOI, a PNG tEXt chunk after IHDR), as parts of a Blob: the product stores equal bytes once per owner,
 * so every upload meant to be measured as new must differ. The Blob copies the parts as it copied
 * the whole file, so this costs the client nothing more.
 */
export function markedParts(file: { bytes: Uint8Array<ArrayBuffer>; type: string }, marker: string): Uint8Array<ArrayBuffer>[] {
  const text = Buffer.from(`bench ${marker}`);
  const bytes = file.bytes;
  if (bytes[0] === 0xff && bytes[1] === 0xd8) {
    const segment = Buffer.alloc(4 + text.length);
    segment.writeUInt16BE(0xfffe, 0);
    segment.writeUInt16BE(2 + text.length, 2);
    text.copy(segment, 4);
    return [bytes.subarray(0, 2), new Uint8Array(segment), bytes.subarray(2)];
  }
  if (bytes[0] === 0x89 && bytes[1] === 0x50) {
    const body = Buffer.concat([Buffer.from('tEXt'), Buffer.from('Comment\0'), text]);
    const chunk = Buffer.alloc(body.length + 8);
    chunk.writeUInt32BE(body.length - 4, 0);
    body.copy(chunk, 4);
    chunk.writeUInt32BE(crc32(body), body.length + 4);
    // the signature (8 bytes) and IHDR (25) come first in every PNG
    return [bytes.subarray(0, 33), new Uint8Array(chunk), bytes.subarray(33)];
  }
  throw new Error('markedParts takes a JPEG or a PNG');
}

let uploads = 0;

/**
 * The multipart body of the upload mutation for one file, as a browser sends it. Each body carries
 * bytes of its own (see markedParts) unless `marker` names the same one again (the way to send a
 * duplicate on purpose) or is null (the bytes exactly as given).
 */
export function uploadForm(file: { bytes: Uint8Array<ArrayBuffer>; name: string; type: string }, selection: string, marker: string | null = `${process.pid}-${++uploads}`): FormData {
  const form = new FormData();
  form.append('operations', JSON.stringify({ query: `mutation Upload($file: Upload!) { uploadImage(file: $file) { ${selection} } }`, variables: { file: null } }));
  form.append('map', JSON.stringify({ 0: ['variables.file'] }));
  form.append('0', new Blob(marker === null ? [file.bytes] : markedParts(file, marker), { type: file.type }), file.name);
  return form;
}

export interface ProductOptions {
  /** The server package, holding the production build (`dist/main.js`). */
  serverDir: string;
  dataDir: string;
  logDir: string;
  /** Who runs it: the admin is `<name>-admin`, the log `<logDir>/<name>-server.log`. */
  name: string;
  /** Adds or overrides settings (`pnpm bench --env=IMAGE_WORKERS=1`), to try a lever without editing anything. */
  env?: Record<string, string>;
  /** Names of this process's environment that pass through, beyond those `productEnv` always keeps. */
  inherit?: string[];
}

/** Starts the production build with `productEnv` and a metrics token, and waits until /readyz answers. */
export async function startProduct({ serverDir, dataDir, logDir, name, env: extraEnv = {}, inherit = [] }: ProductOptions): Promise<Product> {
  const [port, pgPort] = [await freePort(), await freePort()];
  const origin = `http://127.0.0.1:${port}`;
  const admin = { username: `${name}-admin`, password: secret() };
  const env: NodeJS.ProcessEnv = {
    ...productEnv({ port, pgPort, dataDir, admin }, inherit),
    METRICS_TOKEN: secret(),
    ...extraEnv,
  };
  const service = await startService({
    name: `${name}-server`,
    command: process.execPath,
    args: ['dist/main.js'],
    cwd: serverDir,
    env,
    logDir,
    ready: () => answers(`${origin}/readyz`),
    // the first start runs initdb and every migration
    timeoutMs: 180_000,
  });
  const password = (await readFile(join(dataDir, 'pg-password'), 'utf8')).trim();
  return {
    origin,
    pid: service.child.pid!,
    dataDir,
    mediaDir: join(dataDir, 'media'),
    pgUrl: `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${pgPort}/imageapi`,
    metricsToken: env.METRICS_TOKEN!,
    admin,
    secrets: { auth: env.AUTH_SECRET!, linkKeys: env.LINK_SIGNING_KEYS! },
    service,
  };
}

export const graphqlHeaders = (token?: string): Record<string, string> => ({
  'content-type': 'application/json',
  ...(token ? { authorization: `Bearer ${token}` } : {}),
});

/** One GraphQL operation; any error in the answer throws. */
export async function gql<T>(origin: string, query: string, variables: Record<string, unknown> = {}, token?: string): Promise<T> {
  const res = await fetch(`${origin}/graphql`, { method: 'POST', headers: graphqlHeaders(token), body: JSON.stringify({ query, variables }) });
  const body = (await res.json()) as { data?: T; errors?: Array<{ message: string }> };
  if (body.errors?.length || !body.data) throw new Error(`GraphQL ${res.status}: ${JSON.stringify(body.errors ?? body)}`);
  return body.data;
}

export const LOGIN = 'mutation Login($username: String!, $password: String!) { login(username: $username, password: $password) { token } }';

export async function login(origin: string, username: string, password: string): Promise<string> {
  return (await gql<{ login: { token: string } }>(origin, LOGIN, { username, password })).login.token;
}

export async function createUser(origin: string, adminToken: string, username: string, password: string, tierId: string): Promise<string> {
  const data = await gql<{ createUser: { id: string } }>(
    origin,
    'mutation CreateUser($input: CreateUserInput!) { createUser(input: $input) { id } }',
    { input: { username, password, tierId } },
    adminToken,
  );
  return data.createUser.id;
}

export interface TestFile {
  name: string;
  type: string;
  bytes: Buffer<ArrayBuffer>;
}

/**
 * The upload mutation over multipart, as a browser sends it; resolves once every tier thumbnail is
 * stored. New bytes every call (see uploadForm), unless `marker` repeats one.
 */
export async function uploadImage<T = { id: string }>(origin: string, token: string, file: TestFile, selection = 'id', marker?: string): Promise<T> {
  const res = await fetch(`${origin}/graphql`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'apollo-require-preflight': 'true' },
    body: uploadForm(file, selection, marker),
  });
  const body = (await res.json()) as { data?: { uploadImage: T }; errors?: Array<{ message: string }> };
  if (body.errors?.length || !body.data) throw new Error(`upload ${res.status}: ${JSON.stringify(body.errors ?? body)}`);
  return body.data.uploadImage;
}

export async function scrapeMetrics(product: Product): Promise<string> {
  const res = await fetch(`${product.origin}/metrics`, { headers: { authorization: `Bearer ${product.metricsToken}` } });
  if (!res.ok) throw new Error(`/metrics answered ${res.status}`);
  return res.text();
}

/**
 * The sum of the Prometheus samples of `name` that carry every one of `labels`, e.g.
 * metric(text, 'image_processing_duration_seconds_sum', 'trigger="upload"'); 0 when there are none.
 */
export function metric(text: string, name: string, ...labels: string[]): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (rest[0] !== ' ' && rest[0] !== '{') continue;
    const pairs = rest.startsWith('{') ? rest.slice(1, rest.indexOf('}')).split(',') : [];
    if (labels.every((label) => pairs.includes(label))) sum += Number(rest.slice(rest.lastIndexOf(' ') + 1));
  }
  return sum;
}

/** Polls the product's gauge of image jobs holding a worker while `during` runs; returns the highest value seen. */
export async function peakRunningJobs(product: Product, during: Promise<unknown>): Promise<number> {
  let peak = 0;
  let done = false;
  const watch = during.finally(() => (done = true));
  while (!done) {
    peak = Math.max(peak, metric(await scrapeMetrics(product), 'image_processing_running'));
    await Promise.race([watch.catch(() => {}), new Promise((resolve) => setTimeout(resolve, 200))]);
  }
  await watch;
  return peak;
}
