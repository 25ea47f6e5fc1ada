import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { throttleKey } from '../../src/auth/login-throttle.js';
import { TestServer, type GqlResponse } from '../support/test-server.js';

/**
 * Login throttling with the default limits (10 failures per account, 100 per address, 15 minutes). The
 * test client connects over loopback, which TRUST_PROXY trusts by default, so X-Forwarded-For picks the
 * client address each request is counted against.
 */
const WINDOW_SECONDS = 900;
const LOGIN = `mutation($u: String!, $p: String!) { login(username: $u, password: $p) { token } }`;

let server: TestServer;
beforeAll(async () => {
  server = await TestServer.start();
});
afterAll(async () => {
  await server?.stop();
});

const tok = () => randomBytes(4).toString('hex');
/** A documentation-range address no other test uses. */
let lastOctet = 0;
const freshAddress = () => `198.51.100.${++lastOctet}`;

async function login(username: string, password: string, address: string): Promise<GqlResponse> {
  const response = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': address },
    body: JSON.stringify({ query: LOGIN, variables: { u: username, p: password } }),
  });
  const body = (await response.json()) as { data?: any; errors?: GqlResponse['errors'] };
  return { status: response.status, data: body.data, errors: body.errors };
}

const outcome = (result: GqlResponse) => result.errors?.[0]?.extensions?.code ?? (result.data?.login?.token ? 'OK' : 'NONE');

async function failures(kind: 'account' | 'address', value: string): Promise<number> {
  const [row] = await server.sql<{ failures: number }>('select failures from login_failures where key = $1', [throttleKey(kind, value)]);
  return row?.failures ?? 0;
}

/** `n` wrong passwords for `username`, one after another, each from a fresh address unless one is given. */
async function fail(username: string, n: number, address?: string): Promise<void> {
  for (let i = 0; i < n; i++) expect(outcome(await login(username, 'wrong-password', address ?? freshAddress()))).toBe('UNAUTHENTICATED');
}

describe('per account', () => {
  it('refuses the 11th attempt within the window, even with the right password, without checking it', async () => {
    const user = await server.createUser();
    await fail(user.username, 10);
    expect(await failures('account', user.username)).toBe(10);

    server.queries.length = 0;
    const refused = await login(user.username, user.password, freshAddress());
    expect(refused.errors).toEqual([
      { message: 'Too many failed logins, try again later', path: ['login'], locations: expect.any(Array), extensions: { code: 'RATE_LIMITED', retryAfterSeconds: WINDOW_SECONDS } },
    ]);
    expect(refused.data).toBeNull();
    // the user was not even looked up, so the password was not checked
    expect(server.queries.some((sql) => sql.includes('login_failures'))).toBe(true);
    expect(server.queries.filter((sql) => sql.includes('"users"'))).toEqual([]);
    // refused attempts are not counted: the window is not extended by knocking on it
    expect(await failures('account', user.username)).toBe(10);
  });

  it('treats an unknown username exactly like an existing one', async () => {
    const user = await server.createUser();
    const ghost = `ghost-${tok()}`;
    const address = freshAddress();
    const wrong = await login(user.username, 'wrong-password', address);
    const unknown = await login(ghost, 'wrong-password', address);
    expect(unknown.errors).toEqual(wrong.errors);
    await fail(user.username, 9);
    await fail(ghost, 9);
    const [existing, missing] = [await login(user.username, 'wrong-password', address), await login(ghost, 'wrong-password', address)];
    expect(outcome(existing)).toBe('RATE_LIMITED');
    expect(missing.errors).toEqual(existing.errors);
    expect(await failures('account', ghost)).toBe(10);
  });

  it('counts usernames case-insensitively', async () => {
    const user = await server.createUser();
    await fail(user.username.toUpperCase(), 10);
    expect(outcome(await login(user.username, user.password, freshAddress()))).toBe('RATE_LIMITED');
  });

  it('starts over after a correct password, which is not counted against the address', async () => {
    const user = await server.createUser();
    const address = freshAddress();
    await fail(user.username, 9, address);
    expect(outcome(await login(user.username, user.password, address))).toBe('OK');
    expect(await failures('account', user.username)).toBe(0);
    expect(await failures('address', address)).toBe(9);
    await fail(user.username, 10);
    expect(outcome(await login(user.username, user.password, freshAddress()))).toBe('RATE_LIMITED');
  });
});

describe('networks an account logged in from', () => {
  const DAY_MS = 24 * 3600 * 1000;
  async function networkFailures(username: string, address: string): Promise<number> {
    const [row] = await server.sql<{ failures: number }>('select failures from login_failures where key = $1', [throttleKey('account-network', username, address)]);
    return row?.failures ?? 0;
  }

  it('still take the right password once failures from elsewhere have exhausted the account, without resetting its count', async () => {
    const user = await server.createUser();
    // an IPv6 client is known by its /64, as the address throttle counts it
    const home = (host: number) => `2001:db8:${++lastOctet}:9::${host}`;
    const first = home(1);
    expect(outcome(await login(user.username, user.password, first))).toBe('OK');
    await fail(user.username, 10);
    expect(outcome(await login(user.username, user.password, freshAddress()))).toBe('RATE_LIMITED');

    expect(outcome(await login(user.username, user.password, first.replace(/::1$/, '::2')))).toBe('OK');
    // else the owner's login would hand whoever exhausted the account ten more guesses
    expect(await failures('account', user.username)).toBe(10);
    expect(outcome(await login(user.username, user.password, freshAddress()))).toBe('RATE_LIMITED');
  });

  it('hold failures from a known network to a count of their own', async () => {
    const user = await server.createUser();
    const home = freshAddress();
    expect(outcome(await login(user.username, user.password, home))).toBe('OK');
    await fail(user.username, 10, home);
    expect(await networkFailures(user.username, home)).toBe(10);
    expect(outcome(await login(user.username, user.password, home))).toBe('RATE_LIMITED');
    expect(await failures('account', user.username)).toBe(0);
    expect(outcome(await login(user.username, user.password, freshAddress()))).toBe('OK');
  });

  it('are forgotten LOGIN_KNOWN_NETWORK_DAYS (30) after the last login from them', async () => {
    const [kept, forgotten] = [await server.createUser(), await server.createUser()];
    const [keptHome, forgottenHome] = [freshAddress(), freshAddress()];
    expect(outcome(await login(kept.username, kept.password, keptHome))).toBe('OK');
    expect(outcome(await login(forgotten.username, forgotten.password, forgottenHome))).toBe('OK');

    const started = server.clock.now();
    try {
      server.clock.advance(30 * DAY_MS - 60_000);
      await fail(kept.username, 10);
      expect(outcome(await login(kept.username, kept.password, keptHome))).toBe('OK');

      server.clock.advance(120_000);
      await fail(forgotten.username, 10);
      expect(outcome(await login(forgotten.username, forgotten.password, forgottenHome))).toBe('RATE_LIMITED');
    } finally {
      // the admin token the other tests use would have expired a month from now
      server.clock.set(started);
    }
  });
});

describe('per address', () => {
  it('refuses an address after 100 failures over any usernames, and counts IPv6 by its /64', async () => {
    const user = await server.createUser();
    const attacker = (i: number) => `2001:db8:${lastOctet}:7::${i.toString(16)}`;
    for (let batch = 0; batch < 5; batch++) {
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => login(`spray-${tok()}`, 'wrong-password', attacker(batch * 20 + i + 1))));
      expect(results.map(outcome)).toEqual(Array(20).fill('UNAUTHENTICATED'));
    }
    expect(await failures('address', attacker(1))).toBe(100);

    const refused = await login(user.username, user.password, attacker(0xfff));
    expect(refused.errors?.[0]?.extensions).toEqual({ code: 'RATE_LIMITED', retryAfterSeconds: WINDOW_SECONDS });
    // the refusal is the address's alone: the account is untouched, and usable from elsewhere
    expect(await failures('account', user.username)).toBe(0);
    expect(outcome(await login(user.username, user.password, `2001:db8:${lastOctet}:8::1`))).toBe('OK');
  });
});

describe('the window', () => {
  it('ends WINDOW_SECONDS after the first failure, by the server clock', async () => {
    const user = await server.createUser();
    await fail(user.username, 10);
    server.clock.advance((WINDOW_SECONDS - 1) * 1000);
    const last = await login(user.username, user.password, freshAddress());
    expect(last.errors?.[0]?.extensions).toEqual({ code: 'RATE_LIMITED', retryAfterSeconds: 1 });
    server.clock.advance(1000);
    expect(outcome(await login(user.username, 'wrong-password', freshAddress()))).toBe('UNAUTHENTICATED');
    // a new window, counted from this failure
    expect(await failures('account', user.username)).toBe(1);
    expect(outcome(await login(user.username, user.password, freshAddress()))).toBe('OK');
  });

  it('prunes expired windows as logins write, a bounded batch at a time', async () => {
    const stale = new Date(server.clock.now().getTime() - 2 * WINDOW_SECONDS * 1000);
    await server.sql(`insert into login_failures (key, window_start, failures) select 'stale:' || i, $1, 3 from generate_series(1, 250) as i`, [stale]);
    const staleRows = async () => Number((await server.sql(`select count(*) as n from login_failures where key like 'stale:%'`))[0].n);
    await login(`prune-${tok()}`, 'wrong-password', freshAddress());
    expect(await staleRows()).toBe(150);
    await login(`prune-${tok()}`, 'wrong-password', freshAddress());
    await login(`prune-${tok()}`, 'wrong-password', freshAddress());
    expect(await staleRows()).toBe(0);
  });
});

describe('concurrent attempts', () => {
  it('are all counted', async () => {
    const address = freshAddress();
    const results = await Promise.all(Array.from({ length: 20 }, () => login(`burst-${tok()}`, 'wrong-password', address)));
    expect(results.map(outcome)).toEqual(Array(20).fill('UNAUTHENTICATED'));
    expect(await failures('address', address)).toBe(20);
  });

  it('on one account get exactly the limit of password checks, however many arrive at once', async () => {
    const user = await server.createUser();
    const results = await Promise.all(Array.from({ length: 20 }, () => login(user.username, 'wrong-password', freshAddress())));
    const outcomes = results.map(outcome);
    expect(outcomes.filter((o) => o === 'UNAUTHENTICATED')).toHaveLength(10);
    expect(outcomes.filter((o) => o === 'RATE_LIMITED')).toHaveLength(10);
    expect(await failures('account', user.username)).toBe(10);
  });
});
