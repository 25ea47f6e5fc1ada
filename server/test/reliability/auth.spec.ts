import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { SignJWT, type JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestServer, type GqlResponse, type TestUser } from '../support/test-server.js';

/**
 * Rows A1 (login brute force) and A2 (forged tokens) of RELIABILITY.md §1. The admin-only API (A3–A6)
 * is in admin-api.spec.ts.
 */

const ADDRESS_LIMIT = 20;
const LOGIN = `mutation($u: String!, $p: String!) { login(username: $u, password: $p) { token } }`;
const ME = '{ me { id } }';

let server: TestServer;
beforeAll(async () => {
  server = await TestServer.start({ env: { LOGIN_MAX_FAILURES_PER_ADDRESS: String(ADDRESS_LIMIT) } });
});
afterAll(async () => {
  await server?.stop();
});

// loopback is a trusted proxy by default, so X-Forwarded-For sets the address each attempt counts against
let lastOctet = 0;
const freshAddress = () => `203.0.113.${++lastOctet}`;

async function login(username: string, password: string, address: string): Promise<GqlResponse> {
  const response = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': address },
    body: JSON.stringify({ query: LOGIN, variables: { u: username, p: password } }),
  });
  const body = (await response.json()) as Omit<GqlResponse, 'status'>;
  return { status: response.status, data: body.data, errors: body.errors };
}

const outcome = (result: GqlResponse) => result.errors?.[0]?.extensions?.code ?? (result.data?.login?.token ? 'OK' : 'NONE');

async function timed(run: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await run();
  return performance.now() - started;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

describe('A1: login brute force and credential stuffing', () => {
  it('A1: 50 wrong passwords on one account, each from another address: past the account limit even the right password is RATE_LIMITED', async () => {
    const user = await server.createUser();
    const outcomes = [];
    for (let i = 0; i < 50; i++) outcomes.push(outcome(await login(user.username, `guess-${i}`, freshAddress())));
    expect(outcomes.slice(0, 10)).toEqual(Array(10).fill('UNAUTHENTICATED'));
    expect(outcomes.slice(10)).toEqual(Array(40).fill('RATE_LIMITED'));
    const right = await login(user.username, user.password, freshAddress());
    expect(outcome(right)).toBe('RATE_LIMITED');
    expect(right.errors?.[0]?.extensions?.retryAfterSeconds).toBeGreaterThan(0);
  });

  it('A1: one password over 50 accounts from one address: past the address limit every login there is RATE_LIMITED, known user or not', async () => {
    const address = freshAddress();
    const victim = await server.createUser();
    const outcomes = [];
    for (let i = 0; i < 50; i++) outcomes.push(outcome(await login(`stuffed-${i}-${randomBytes(3).toString('hex')}`, 'Summer2026!', address)));
    expect(outcomes.slice(0, ADDRESS_LIMIT)).toEqual(Array(ADDRESS_LIMIT).fill('UNAUTHENTICATED'));
    expect(outcomes.slice(ADDRESS_LIMIT)).toEqual(Array(50 - ADDRESS_LIMIT).fill('RATE_LIMITED'));
    expect(outcome(await login(victim.username, victim.password, address))).toBe('RATE_LIMITED');
    // the account itself is fine from anywhere else
    expect(outcome(await login(victim.username, victim.password, freshAddress()))).toBe('OK');
  });

  it('A1: an unknown username gets the same error after the same argon2id work as a wrong password', async () => {
    const user = await server.createUser();
    const wrong = await login(user.username, 'not-the-password', freshAddress());
    const unknown = await login(`nobody-${randomBytes(4).toString('hex')}`, 'not-the-password', freshAddress());
    expect(wrong.errors).toEqual(unknown.errors);
    expect(wrong.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');

    // without the dummy hash an unknown user answers in a few ms against tens for a real check
    const known: number[] = [];
    const missing: number[] = [];
    for (let i = 0; i < 5; i++) {
      known.push(await timed(() => login(user.username, `wrong-${i}`, freshAddress())));
      missing.push(await timed(() => login(`nobody-${i}-${randomBytes(3).toString('hex')}`, `wrong-${i}`, freshAddress())));
    }
    expect(median(missing)).toBeGreaterThan(median(known) * 0.4);

    const [row] = await server.sql<{ password_hash: string }>('select password_hash from users where id = $1', [user.id]);
    // OWASP's argon2id baseline: 19 MiB, 2 passes, 1 lane
    const [, algorithm, , params] = row!.password_hash.split('$');
    expect({ algorithm, params: params!.split(',').sort() }).toEqual({ algorithm: 'argon2id', params: ['m=19456', 'p=1', 't=2'] });
  });

  it('A1: there is no self-signup: creating a user without a token is UNAUTHENTICATED and stores nothing', async () => {
    const before = await server.countRows('users');
    const result = await server.gql(`mutation { createUser(input: { username: "self-${randomBytes(3).toString('hex')}", password: "password-123" }) { id } }`);
    expect(result.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(await server.countRows('users')).toBe(before);
  });
});

describe('A2: forged, confused and stale tokens', () => {
  let user: TestUser;
  let claims: JWTPayload;
  const secret = () => new TextEncoder().encode(server.server.deps.config.authSecret);
  const nowSeconds = () => Math.floor(server.clock.now().getTime() / 1000);
  const sign = (payload: JWTPayload, key: Uint8Array | KeyObject = secret(), alg = 'HS256') =>
    new SignJWT(payload).setProtectedHeader({ alg, typ: 'JWT' }).sign(key);
  const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

  beforeAll(async () => {
    user = await server.createUser();
    const [row] = await server.sql<{ token_version: number }>('select token_version from users where id = $1', [user.id]);
    claims = { sub: user.id, ver: row!.token_version, iss: 'image-api', aud: 'image-api', iat: nowSeconds(), exp: nowSeconds() + 3600 };
  });

  it('A2: a token made here with every claim right is accepted (the forgeries below differ in one thing each)', async () => {
    expect((await server.gql(ME, {}, await sign(claims))).data?.me?.id).toBe(user.id);
  });

  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const forgeries: Array<[string, () => Promise<string> | string]> = [
    ['alg none', () => `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.`],
    ['alg none with the real signature kept', async () => `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.${(await sign(claims)).split('.')[2]}`],
    ['a wrong signature', async () => sign(claims, new TextEncoder().encode('another-secret-that-is-long-enough-0123456789'))],
    ['RS256 with an attacker key pair', () => sign(claims, privateKey, 'RS256')],
    ['HS256 keyed with an RSA public key (HS/RS confusion)', () => sign(claims, new TextEncoder().encode(publicKey.export({ type: 'spki', format: 'pem' }) as string))],
    ['HS512 with the right secret', () => sign(claims, secret(), 'HS512')],
    ['an expired token', () => sign({ ...claims, iat: nowSeconds() - 7200, exp: nowSeconds() - 1 })],
    ['no exp', () => sign({ ...claims, exp: undefined })],
    ['a wrong aud', () => sign({ ...claims, aud: 'another-service' })],
    ['a wrong iss', () => sign({ ...claims, iss: 'someone-else' })],
    ['no sub', () => sign({ ...claims, sub: undefined })],
    ['the sub of no user', () => sign({ ...claims, sub: '00000000-0000-4000-8000-000000000000' })],
    ['a stale token version', () => sign({ ...claims, ver: Number(claims.ver) + 1 })],
    ['garbage', () => 'not.a.jwt'],
  ];

  it.each(forgeries)('A2: %s → 401 UNAUTHENTICATED, nothing served', async (_name, forge) => {
    const result = await server.gql(ME, {}, await forge());
    expect(result.status).toBe(401);
    expect(result.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(result.data ?? null).toBeNull();
  });

  // RFC 7519: the token is valid only before `exp`
  it('A2: a real token expires by the server clock: valid a second before exp, refused at exp', async () => {
    const token = await server.login(user.username, user.password);
    const started = server.clock.now();
    const ttl = server.server.deps.config.authTokenTtlSeconds;
    try {
      server.clock.advance((ttl - 1) * 1000);
      expect((await server.gql(ME, {}, token)).data?.me?.id).toBe(user.id);
      server.clock.advance(1000);
      const expired = await server.gql(ME, {}, token);
      expect({ status: expired.status, code: expired.errors?.[0]?.extensions?.code }).toEqual({ status: 401, code: 'UNAUTHENTICATED' });
    } finally {
      server.clock.set(started);
    }
  });

  it.each(['Basic dXNlcjpwYXNz', 'Bearer', 'Bearer a b', 'token-without-scheme'])('A2: the Authorization header %j → 401 UNAUTHENTICATED', async (header) => {
    const response = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: header },
      body: JSON.stringify({ query: ME }),
    });
    const body = (await response.json()) as { errors?: Array<{ extensions?: { code?: string } }> };
    expect(response.status).toBe(401);
    expect(body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });
});
