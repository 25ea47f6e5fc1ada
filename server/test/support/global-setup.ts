import { rm } from 'node:fs/promises';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../../src/db/embedded-postgres.js';
import { PgBoss } from 'pg-boss';
import { createOrm, migrate } from '../../src/orm.js';
import { freePort } from './free-port.js';
import { postgresReachableTempDir } from './temp-dir.js';
import { startS3rver } from './s3-server.js';

export const TEMPLATE_DB = 'imageapi_test_template';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Admin URL of the PostgreSQL the tests use; each test file makes its own database on it. */
    pgAdminUrl: string;
    templateDb: string;
    /** With TEST_STORAGE=s3: the s3rver every TestServer keeps its media in, one bucket each. */
    s3Endpoint: string | undefined;
  }
}

/**
 * One real PostgreSQL for the run: the one DATABASE_URL names, or an embedded one started here and
 * stopped at the end. Migrations run once, into a template database that each test file copies.
 */
export default async function setup(project: TestProject) {
  let embedded: EmbeddedDatabase | undefined;
  let dir: string | undefined;
  let adminUrl = process.env.DATABASE_URL;
  if (!adminUrl) {
    dir = await postgresReachableTempDir('imageapi-test-pg-');
    embedded = await startEmbeddedPostgres({ dir, port: await freePort(), ephemeral: true, database: 'postgres' });
    adminUrl = embedded.url;
  }
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`drop database if exists ${TEMPLATE_DB} with (force)`);
  await admin.query(`create database ${TEMPLATE_DB}`);
  await admin.end();

  const orm = await createOrm({ clientUrl: withDatabase(adminUrl, TEMPLATE_DB) });
  await migrate(orm);
  await orm.close(true);
  // pg-boss installs its schema on first start; doing it once here spares every test database the work
  const boss = new PgBoss({ connectionString: withDatabase(adminUrl, TEMPLATE_DB), schema: 'pgboss', schedule: false, supervise: false });
  await boss.start();
  await boss.stop({ graceful: false, close: true });

  project.provide('pgAdminUrl', adminUrl);
  project.provide('templateDb', TEMPLATE_DB);

  const storage = process.env.TEST_STORAGE ?? 'local';
  if (storage !== 'local' && storage !== 's3') throw new Error(`TEST_STORAGE must be local or s3, not ${storage}`);
  const s3 = storage === 's3' ? await startS3rver() : undefined;
  project.provide('s3Endpoint', s3?.endpoint);

  return async () => {
    await s3?.stop();
    await embedded?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  };
}

export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}
