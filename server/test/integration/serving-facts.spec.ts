import { randomBytes, randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { ServingFactsCache } from '../../src/links/serving-facts.js';
import { ManualClock } from '../../src/shared/clock.js';
import { withDatabase } from '../support/global-setup.js';

const BASIC = '00000000-0000-4000-8000-000000000001';
const PREMIUM = '00000000-0000-4000-8000-000000000002';
const TTL_MS = 30_000;

let database: string;
let pool: pg.Pool;
let reads: number;
let clock: ManualClock;
let cache: ServingFactsCache;
// the cache's own reads of the real database, counted
const counting = { query: ((...args: Parameters<pg.Pool['query']>) => (reads++, pool.query(...(args as unknown as [string])))) as pg.Pool['query'] };

async function user(tierId: string): Promise<string> {
  const id = randomUUID();
  await pool.query(`insert into users (id, username, password_hash, tier_id, created_at, updated_at) values ($1, $2, 'x', $3, now(), now())`, [id, `u-${id}`, tierId]);
  return id;
}

async function image(ownerId: string): Promise<string> {
  const id = randomUUID();
  await pool.query(`insert into images (id, owner_id, filename, format, width, height, bytes, created_at) values ($1, $2, 'a.jpg', 'JPEG', 600, 400, 1000, now())`, [id, ownerId]);
  return id;
}

beforeAll(async () => {
  database = `facts_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: inject('pgAdminUrl') });
  await admin.connect();
  await admin.query(`create database ${database} template ${inject('templateDb')}`);
  await admin.end();
  pool = new pg.Pool({ connectionString: withDatabase(inject('pgAdminUrl'), database), max: 2 });
});

afterAll(async () => {
  await pool?.end();
  const admin = new pg.Client({ connectionString: inject('pgAdminUrl') });
  await admin.connect();
  await admin.query(`drop database if exists ${database} with (force)`);
  await admin.end();
});

beforeEach(() => {
  reads = 0;
  clock = new ManualClock();
  cache = new ServingFactsCache(counting, { maxEntries: 100, ttlMs: TTL_MS }, clock);
  cache.setTrusted(true);
});

describe(ServingFactsCache.name, () => {
  it('reads an image’s facts once, then answers from memory', async () => {
    const owner = await user(PREMIUM);
    const id = await image(owner);
    const facts = await cache.get(id);
    expect(facts).toMatchObject({ id, format: 'JPEG', width: 600, height: 400, ownerId: owner, tierId: PREMIUM, policy: { thumbnailHeights: [200, 400], originalLink: true, expiringLinks: false } });
    expect(await cache.get(id)).toEqual(facts);
    expect(reads).toBe(1);
  });

  it('remembers that an image does not exist', async () => {
    const id = randomUUID();
    expect(await cache.get(id)).toBeUndefined();
    expect(await cache.get(id)).toBeUndefined();
    expect(reads).toBe(1);
  });

  it('forgets exactly what a change touches: the image, every image of a user, every image on a tier', async () => {
    const [premiumOwner, basicOwner] = [await user(PREMIUM), await user(BASIC)];
    const [p1, p2, b1] = [await image(premiumOwner), await image(premiumOwner), await image(basicOwner)];
    for (const id of [p1, p2, b1]) await cache.get(id);
    expect(reads).toBe(3);

    cache.forget({ kind: 'image', id: p1 });
    for (const id of [p1, p2, b1]) await cache.get(id);
    expect(reads).toBe(4);

    cache.forget({ kind: 'user', id: premiumOwner });
    for (const id of [p1, p2, b1]) await cache.get(id);
    expect(reads).toBe(6);

    cache.forget({ kind: 'tier', id: BASIC });
    for (const id of [p1, p2, b1]) await cache.get(id);
    expect(reads).toBe(7);
  });

  it('does not keep a read that raced a change: what it read may be from before the change', async () => {
    const owner = await user(PREMIUM);
    const id = await image(owner);
    const racing = cache.get(id);
    cache.forget({ kind: 'user', id: owner });
    await racing;
    await cache.get(id);
    expect(reads).toBe(2);
  });

  it('reads again once an entry is older than its time to live', async () => {
    const id = await image(await user(PREMIUM));
    await cache.get(id);
    clock.advance(TTL_MS - 1);
    await cache.get(id);
    expect(reads).toBe(1);
    clock.advance(2);
    await cache.get(id);
    expect(reads).toBe(2);
  });

  it('reads the database on every lookup while changes may be missed, and starts empty once they reach it again', async () => {
    const owner = await user(PREMIUM);
    const id = await image(owner);
    await cache.get(id);
    cache.setTrusted(false);
    await pool.query('update users set tier_id = $1 where id = $2', [BASIC, owner]);
    expect((await cache.get(id))?.tierId).toBe(BASIC);
    await cache.get(id);
    expect(reads).toBe(3);
    cache.setTrusted(true);
    await cache.get(id);
    await cache.get(id);
    expect(reads).toBe(4);
  });
});
