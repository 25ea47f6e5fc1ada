import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { createOrm, migrate } from '../../src/orm.js';
import type { MikroORM } from '@mikro-orm/postgresql';

/** A fresh, empty database: what a new deployment starts from. */
let orm: MikroORM;
let database: string;
const adminUrl = () => inject('pgAdminUrl');

beforeAll(async () => {
  database = `m_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl() });
  await admin.connect();
  await admin.query(`create database ${database}`);
  await admin.end();
  const url = new URL(adminUrl());
  url.pathname = `/${database}`;
  orm = await createOrm({ clientUrl: url.toString() });
});

afterAll(async () => {
  await orm?.close(true);
  const admin = new pg.Client({ connectionString: adminUrl() });
  await admin.connect();
  await admin.query(`drop database if exists ${database} with (force)`);
  await admin.end();
});

describe('migrations', () => {
  it('build exactly the schema the entities describe', async () => {
    await migrate(orm);
    expect(await orm.schema.getUpdateSchemaSQL({ wrap: false })).toBe('');
  });

  it('are idempotent: a second run at start changes nothing', async () => {
    await migrate(orm);
    expect(await orm.migrator.getPending()).toEqual([]);
  });

  it('seed the three builtin tiers', async () => {
    const tiers = await orm.em.getConnection().execute('select name, thumbnail_heights, original_link, expiring_links, builtin from tiers order by name');
    expect(tiers).toEqual([
      { name: 'Basic', thumbnail_heights: [200], original_link: false, expiring_links: false, builtin: true },
      { name: 'Enterprise', thumbnail_heights: [200, 400], original_link: true, expiring_links: true, builtin: true },
      { name: 'Premium', thumbnail_heights: [200, 400], original_link: true, expiring_links: false, builtin: true },
    ]);
  });

  it('index the list and the link lookups', async () => {
    const indexes = await orm.em.getConnection().execute<Array<{ indexdef: string }>>(`select indexdef from pg_indexes where tablename = 'images'`);
    expect(indexes.map((i) => i.indexdef).join('\n')).toMatch(/\(owner_id, created_at DESC, id DESC\)/);
    expect(indexes.map((i) => i.indexdef).join('\n')).toMatch(/images_pkey/);
  });
});
